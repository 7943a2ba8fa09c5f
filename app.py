"""Haru's web app: the entry point. The page itself lives in :mod:`webui`.

    python app.py [--host HOST] [--port PORT]        # every other setting: python app.py --help
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from pathlib import Path

from core import help_text, load_config
from webui.demo import build_demo, launch
from webui.warmup import Warmup

log = logging.getLogger("haru.app")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="app.py", description="Haru: an emotion-aware voice companion and mood diary.",
        epilog=help_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", help="address to listen on (overrides HARU_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides HARU_PORT)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        config = load_config(**overrides)
    except ValueError as e:
        return f"app.py: {e}"      # one line on stderr and exit status 1, not a traceback
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)   # gradio's own health checks, one line each
    if shutil.which("ffmpeg") is None:
        log.warning("ffmpeg is not installed: Anna's voice plays once her whole reply is written, not while "
                    "she writes it. To hear it sooner: sudo apt-get install ffmpeg (Debian/Ubuntu), "
                    "brew install ffmpeg (macOS), winget install ffmpeg (Windows).")
    data_dir = Path(config.data_dir)
    # Recordings, photos and exports stay inside the data dir, and delete_cache sweeps them.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(data_dir / "uploads"))
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        return f"app.py: cannot write to the data folder {data_dir} ({e.strerror}); set HARU_DATA_DIR to a folder you own."
    log.info("starting with %s", config.redacted())
    warmup = Warmup()
    demo = build_demo(config, warmup=warmup)
    launch(demo, config, prevent_thread_lock=True)
    # Models load only once the page is served, so loading never delays the start.
    warmup.start(config)
    demo.block_thread()


if __name__ == "__main__":
    sys.exit(main())
