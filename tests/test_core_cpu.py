"""What the CPU reports, and the offline LLM's thread count chosen from the cores free at load time."""

from __future__ import annotations

import os

import pytest

from chat.backends.local import MAX_THREADS, choose_threads, default_threads
from core.cpu import free_cores, threads_for, usable_cores


def test_usable_cores_are_the_ones_this_process_may_run_on():
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_free_cores_are_usable_cores_minus_the_load_never_negative():
    assert free_cores(2, 0.5) == 1.5
    assert free_cores(2, 7.0) == 0.0
    assert 0.0 <= free_cores() <= usable_cores()


@pytest.mark.parametrize("cores, free, threads", [
    (2, 2.0, 2),    # idle laptop: both cores write
    (2, 1.6, 2),
    (2, 1.2, 1),    # one core taken: a second thread would wait on it at every token
    (2, 0.0, 1),    # fully busy: still one
    (1, 1.0, 1),
    (4, 4.0, 3),    # one core stays with speech synthesis
    (4, 1.0, 1),
    (16, 16.0, MAX_THREADS),
])
def test_threads_follow_the_free_cores(cores, free, threads):
    assert choose_threads(cores, free) == threads


def test_this_machine_gets_the_rule_applied_to_its_load_now():
    cores = usable_cores()
    before = choose_threads(cores, free_cores(cores))
    chosen = default_threads()
    after = choose_threads(cores, free_cores(cores))
    assert min(before, after) <= chosen <= max(before, after)
    assert 1 <= chosen <= min(cores, MAX_THREADS)


@pytest.mark.parametrize("cores, free, cap, threads", [(2, 2.0, 4, 2), (2, 1.5, 4, 2), (2, 1.4, 4, 1), (2, 0.0, 4, 1),
                                                      (8, 8.0, 4, 4), (8, 2.6, 4, 3)])
def test_threads_for_waiting_workers_take_only_free_cores(cores, free, cap, threads):
    assert threads_for(cores, free, cap) == threads
