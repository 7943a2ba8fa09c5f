#!/usr/bin/env bash
# Dependency scan: pip-audit over the pinned requirements and over every package installed beside them
# (the transitive ones). Called from .ci/run; also runs alone: bash .ci/audit.sh
#
# Exit 0: no known vulnerability, or only ones explained in docs/reliability.md (EXPLAINED below).
# Exit 1: an unexplained vulnerability, or pip-audit could not be installed.
# When the vulnerability service cannot be reached (an offline CI machine), pip-audit marks every
# package "could not be audited" and still prints "No known vulnerabilities found"; this script says
# plainly that no audit took place and exits 0, or 1 with HARU_AUDIT_REQUIRED=1.
set -uo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
# Findings reviewed and explained in docs/reliability.md ("Dependency scan"); one ID per entry.
EXPLAINED=()

venv="${HARU_AUDIT_VENV:-${TMPDIR:-/tmp}/haru-pip-audit-$PIP_AUDIT_VERSION}"
if [ ! -x "$venv/bin/pip-audit" ]; then
    # A venv of its own: pip-audit's dependencies must not change the app's environment.
    if ! { python -m venv "$venv" && "$venv/bin/pip" install -q "pip-audit==$PIP_AUDIT_VERSION"; }; then
        echo "audit: FAILED to install pip-audit==$PIP_AUDIT_VERSION" >&2
        exit 1
    fi
fi

site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
ignore=()
for id in "${EXPLAINED[@]+"${EXPLAINED[@]}"}"; do ignore+=(--ignore-vuln "$id"); done

"$venv/bin/pip-audit" -r requirements.txt --no-deps --disable-pip --progress-spinner off \
    "${ignore[@]+"${ignore[@]}"}" -f json -o "$out/pinned.json" >"$out/pinned.log" 2>&1
"$venv/bin/pip-audit" --path "$site" --progress-spinner off \
    "${ignore[@]+"${ignore[@]}"}" -f json -o "$out/installed.json" >"$out/installed.log" 2>&1

python - "$out" <<'EOF'
import json
import os
import sys
from pathlib import Path

out = Path(sys.argv[1])
required = os.environ.get("HARU_AUDIT_REQUIRED") == "1"
checked = skipped = 0
findings = {}
for scope in ("pinned", "installed"):
    report = out / f"{scope}.json"
    if not report.is_file() or not report.read_text().strip():
        log = (out / f"{scope}.log").read_text(errors="replace").strip().splitlines()
        print(f"audit ({scope}): pip-audit gave no report: {log[-1] if log else 'no output'}")
        skipped += 1
        continue
    for dep in json.loads(report.read_text())["dependencies"]:
        if "skip_reason" in dep:
            skipped += 1
            continue
        checked += 1
        for vuln in dep.get("vulns", []):
            findings[(dep["name"], dep["version"], vuln["id"])] = vuln

if findings:
    print(f"audit: {len(findings)} unexplained known vulnerabilit{'y' if len(findings) == 1 else 'ies'}:")
    for (name, version, vid), vuln in sorted(findings.items()):
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
        print(f"  {name}=={version}  {vid}  (aliases: {', '.join(vuln.get('aliases', [])) or '-'}; fixed in {fixed})")
    print("Upgrade the package, or explain the finding in docs/reliability.md and add its ID to EXPLAINED.")
    sys.exit(1)
if checked == 0:
    print(f"audit: NOT PERFORMED - the vulnerability service could not be reached; none of the {skipped} "
          "packages could be looked up. Run .ci/audit.sh on a machine with internet access.")
    sys.exit(1 if required else 0)
print(f"audit: no known vulnerabilities in {checked} packages"
      + (f" ({skipped} could not be looked up: not on PyPI or service errors)" if skipped else ""))
EOF
