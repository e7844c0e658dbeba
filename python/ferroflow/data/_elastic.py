"""A distributed pass described as segments of files, so that a checkpoint taken with one
number of ranks can be resumed with another without reading a record twice or losing one.

A pass gives each rank a list of segments ``[file index, first record, record count]``
that it reads through an interleave of ``cycle`` open segments, ``block`` records from
each in turn (tf.data's deterministic order; a plain list of files is cycle 1), and a
target count the rank's records are cut or padded to. Given the elements every rank
delivered, the records each rank's stream delivered are known: as each segment is read in
order, what is left of it is again one segment. What is left of all ranks is then dealt
out afresh, in contiguous runs of records as equal as they can be."""

from __future__ import annotations

from collections import Counter
from typing import Any

Segment = list[int]  # [file index, first record, record count]


def pass_of(
    ranks: list[list[Segment]], cycle: int, block: int, targets: list[int] | None, key: Any
) -> dict[str, Any]:
    """A JSON-able description of one pass."""
    return {"ranks": ranks, "cycle": cycle, "block": block, "targets": targets, "key": key}


def stream_order(lengths: list[int], cycle: int, block: int, limit: int) -> list[int]:
    """Which segment each of the first ``limit`` records of an interleave over segments of
    these lengths comes from, in tf.data's order: ``cycle`` slots, ``block`` records from a
    slot before the next, a finished segment's slot filled with the next segment when the
    turn comes back to it."""
    slots: list[list[int] | None] = [None] * cycle
    out: list[int] = []
    upcoming = index = taken = open_slots = 0
    while len(out) < limit and (upcoming < len(lengths) or open_slots):
        slot = slots[index]
        if slot is not None and slot[1] > 0:
            out.append(slot[0])
            slot[1] -= 1
            taken += 1
            if taken == block:
                index, taken = (index + 1) % cycle, 0
        elif slot is not None:
            slots[index] = None
            open_slots -= 1
            index, taken = (index + 1) % cycle, 0
        elif upcoming < len(lengths):
            slots[index] = [upcoming, lengths[upcoming]]
            upcoming += 1
            open_slots += 1
        else:
            index, taken = (index + 1) % cycle, 0
    return out


def left_after(
    described: dict[str, Any], delivered: int, records_per_element: int
) -> list[list[Segment]]:
    """Each rank's segments it has not delivered yet in the pass ``described`` after every
    rank delivered ``delivered`` elements of ``records_per_element`` records, in its
    segments' order. Records a rank was to drop stay dropped."""
    by_rank: list[list[Segment]] = []
    targets = described["targets"]
    for rank, segments in enumerate(described["ranks"]):
        left: list[Segment] = []
        by_rank.append(left)
        lengths = [s[2] for s in segments]
        own = sum(lengths)
        end = own if targets is None else min(targets[rank], own)
        order = stream_order(lengths, described["cycle"], described["block"], end)
        done = Counter(order[: min(delivered * records_per_element, end)])
        upto = Counter(order)
        for i, (file, first, _) in enumerate(segments):
            if upto[i] > done[i]:
                left.append([file, first + done[i], upto[i] - done[i]])
    return by_rank


def dealt(left: list[Segment], ranks: int) -> list[list[Segment]]:
    """``left`` cut into ``ranks`` contiguous runs whose record counts differ by one at
    most."""
    total = sum(s[2] for s in left)
    sizes = [total // ranks + (1 if r < total % ranks else 0) for r in range(ranks)]
    out: list[list[Segment]] = [[] for _ in range(ranks)]
    rank, room = 0, sizes[0] if sizes else 0
    for file, first, count in left:
        while count:
            while room == 0:
                rank += 1
                room = sizes[rank]
            piece = min(room, count)
            out[rank].append([file, first, piece])
            first, count, room = first + piece, count - piece, room - piece
    return out


def targets_for(sizes: list[int], remainder: Any) -> list[int] | None:
    """Every rank's count after evening ``sizes`` as ``remainder`` says."""
    if remainder is None:
        return None
    even = min(sizes) if remainder == "drop" else max(sizes)
    return [even] * len(sizes)
