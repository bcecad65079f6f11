#!/usr/bin/env python3
"""Print an executed notebook's cells and their text outputs to the terminal."""
import json
import sys


def main(path):
    nb = json.load(open(path))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        print(f"In [{cell.get('execution_count') or ' '}]: " + src.replace("\n", "\n    ...: "))
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream":
                print("".join(out["text"]).rstrip())
            elif kind in ("display_data", "execute_result"):
                print("".join(out["data"].get("text/plain", "")).rstrip())
            elif kind == "error":
                print(f"{out['ename']}: {out['evalue']}")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
