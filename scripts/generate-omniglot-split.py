#!/usr/bin/env python3
"""Generates Sources/MetaTasks/Resources/omniglot-split-v1.txt: the fixed character split "omniglot-split-v1".

Usage: scripts/generate-omniglot-split.py [OMNIGLOT_DIR]   (default: ../shared/datasets/omniglot,
       or $METATRAIN_OMNIGLOT_DIR; the directory holds images_background.zip and
       images_evaluation.zip, or the folders they unzip to)

The split (documented in OmniglotSplit.swift): all 1,623 characters ordered by
(archive: images_background then images_evaluation, alphabet folder name, character folder
name), names compared as UTF-8 bytes; the first 1,100 are "train", the next 100 "validation",
the last 423 "test". The table is one line per character, "<split> <archive>/<alphabet>/<character>\n";
its SHA-256 is printed, to be pinned in OmniglotSplit+V1.swift. Run once; the output is committed
and compiled into the binary (Package.swift: .embedInCode). The script never needs to run again
unless a new split version is defined (as a new file).
"""
import hashlib, os, sys, zipfile

ARCHIVES = ["images_background", "images_evaluation"]
SIZES = [("train", 1100), ("validation", 100), ("test", 423)]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "MetaTasks", "Resources", "omniglot-split-v1.txt")


def characters(directory, archive):
    """The set of (alphabet, character) folders holding PNGs in one archive."""
    found = set()
    zpath = os.path.join(directory, archive + ".zip")
    if os.path.isfile(zpath):
        names = zipfile.ZipFile(zpath).namelist()
    else:
        folder = os.path.join(directory, archive)
        names = [os.path.relpath(os.path.join(d, f), directory).replace(os.sep, "/")
                 for d, _, fs in os.walk(folder) for f in fs]
    for name in names:
        parts = name.split("/")
        if len(parts) == 4 and parts[0] == archive and parts[3].endswith(".png"):
            found.add((parts[1], parts[2]))
    return found


def main():
    default = os.environ.get("METATRAIN_OMNIGLOT_DIR") or os.path.join(ROOT, "..", "shared", "datasets", "omniglot")
    directory = sys.argv[1] if len(sys.argv) > 1 else default
    ordered = []
    for archive in ARCHIVES:
        chars = characters(directory, archive)
        chars = sorted(chars, key=lambda ac: (ac[0].encode("utf-8"), ac[1].encode("utf-8")))
        ordered += [f"{archive}/{a}/{c}" for a, c in chars]
    assert len(ordered) == sum(n for _, n in SIZES) == 1623, f"expected 1,623 characters, found {len(ordered)}"
    lines, start = [], 0
    for split, n in SIZES:
        lines += [f"{split} {path}\n" for path in ordered[start:start + n]]
        start += n
    text = "".join(lines)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(ordered)} characters, sha256 {digest} (OmniglotSplit.v1Checksum)")


if __name__ == "__main__":
    main()
