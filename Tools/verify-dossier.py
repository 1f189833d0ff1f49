#!/usr/bin/env python3
"""Verifies a Redress dossier offline, with nothing but Python 3's standard library.

    python3 verify-dossier.py dossier.json [--root HEX]

Checks, in order (Docs/audit.md explains each):
  1. every link of the case's audit chain: numbered 1, 2, 3 …, each naming the hash of the one
     before (64 zeros for the first), and each event's hash recomputed from its content as
     SHA-256(chain "\\n" seq "\\n" prev_hash "\\n" content) - an event shown without content (another
     organisation's internal note) is bound by the next link only;
  2. every event of the human-readable timeline is one of the chain's events (same seq and hash);
  3. when the dossier carries an anchoring proof: the anchored head is the chain's event at that
     place, its Merkle path gives the anchor's tree root, the anchor's root follows from it, and each
     later anchor's root follows from the one before;
  4. with --root, that the published root is one of those roots (the chain as anchored is covered).

Prints OK and the roots it derived, or FAILED and the first problem (exit status 1).
"""
import argparse
import hashlib
import json
import sys

ZERO = "0" * 64


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fail(message: str) -> None:
    print(f"FAILED: {message}")
    sys.exit(1)


def check_chain(audit: dict) -> dict:
    chain = audit["chain"]
    events = audit["events"]
    if not events:
        fail("the dossier's audit chain has no events")
    previous = ZERO
    by_seq = {}
    for index, event in enumerate(events):
        seq = event["seq"]
        if seq != index + 1:
            fail(f"chain {chain}: event {index + 1} is numbered {seq} (an event is missing or out of order)")
        if event["prev_hash"] != previous:
            fail(f"chain {chain}, event {seq}: prev_hash {event['prev_hash']} is not the hash of event {seq - 1} ({previous})")
        content = event.get("content")
        if content is not None:
            text = f"{chain}\n{seq}\n{event['prev_hash']}\n{content}"
            computed = sha256_hex(text.encode("utf-8"))
            if computed != event["hash"]:
                fail(f"chain {chain}, event {seq}: its content hashes to {computed}, not {event['hash']} (it was edited)")
        previous = event["hash"]
        by_seq[seq] = event["hash"]
    return by_seq


def check_timeline(timeline: list, by_seq: dict) -> None:
    for entry in timeline:
        if by_seq.get(entry["seq"]) != entry["hash"]:
            fail(f"timeline entry {entry['seq']} ({entry.get('action')}) is not the chain's event {entry['seq']}")


def leaf(chain: str, seq: int, hash_hex: str) -> bytes:
    return hashlib.sha256(f"redress-anchor-leaf\n{chain}\n{seq}\n{hash_hex}".encode("utf-8")).digest()


def link(previous_hex: str, tree_hex: str) -> str:
    return sha256_hex(f"redress-anchor\n{previous_hex}\n{tree_hex}".encode("utf-8"))


def check_anchoring(audit: dict, by_seq: dict) -> list:
    anchoring = audit.get("anchoring")
    if anchoring is None:
        return []
    chain = audit["chain"]
    head_seq = int(anchoring["head"]["seq"])
    head_hash = anchoring["head"]["hash"]
    if by_seq.get(head_seq) != head_hash:
        fail(f"anchor {anchoring['anchor_id']} covers event {head_seq} of {chain} with hash {head_hash}, which the chain does not hold")
    node = leaf(chain, head_seq, head_hash)
    for step in anchoring["path"]:
        sibling = bytes.fromhex(step["hash"])
        node = hashlib.sha256(sibling + node if step["side"] == "left" else node + sibling).digest()
    tree = node.hex()
    previous = anchoring.get("previous_root")
    root = tree if previous is None else link(previous, tree)
    if root != anchoring["root"]:
        fail(f"anchor {anchoring['anchor_id']}: the Merkle path gives root {root}, not {anchoring['root']}")
    roots = [(anchoring["anchor_id"], anchoring["anchored_at"], root)]
    for later in anchoring["later_anchors"]:
        root = link(root, later["tree_root"])
        if root != later["root"]:
            fail(f"anchor {later['id']}: does not follow from the anchor before it (derived {root}, stated {later['root']})")
        roots.append((later["id"], later["anchored_at"], root))
    return roots


def main() -> None:
    parser = argparse.ArgumentParser(description="Verify a Redress dossier (JSON) offline.")
    parser.add_argument("dossier", help="the dossier as downloaded: GET /api/v1/complaints/{id}/dossier")
    parser.add_argument("--root", help="an anchor root published outside Redress (hex), to check the case against")
    arguments = parser.parse_args()
    with open(arguments.dossier, encoding="utf-8") as file:
        dossier = json.load(file)
    audit = dossier["audit"]
    by_seq = check_chain(audit)
    check_timeline(dossier.get("timeline", []), by_seq)
    roots = check_anchoring(audit, by_seq)
    if arguments.root:
        published = arguments.root.strip().lower()
        if not any(root == published for _, _, root in roots):
            fail(f"the published root {published} is not among the roots this dossier leads to (is it older than the case's last anchoring?)")
    print(f"OK: chain {audit['chain']}, {len(by_seq)} events linked")
    if roots:
        anchored = roots[0]
        print(f"anchored: events 1-{audit['anchoring']['head']['seq']} covered by anchor {anchored[0]} ({anchored[1]})")
        for anchor_id, at, root in roots:
            print(f"  anchor {anchor_id} {at} root={root}")
    else:
        print("not anchored yet: the chain is consistent, but no published root covers it")
    if arguments.root:
        print(f"the published root {arguments.root.strip().lower()} covers this case")


if __name__ == "__main__":
    main()
