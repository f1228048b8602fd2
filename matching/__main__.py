"""Command line: ``python -m matching solve|candidates INSTANCE.json``.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._candidates import candidates
from ._instance import Instance, InstanceError, parse_instance
from ._solve import solve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _load(path: str) -> Instance:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise InstanceError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InstanceError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InstanceError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except RecursionError:
        raise InstanceError(f"{path}: malformed JSON (nested too deeply)") from None
    return parse_instance(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m matching", description="Optimal matching of volunteers to needs."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p_solve = sub.add_parser("solve", help="print the optimal matching as JSON")
    p_solve.add_argument("instance", help="instance JSON file")
    p_solve.add_argument("-o", "--output", help="write the JSON here instead of stdout")
    p_solve.add_argument(
        "--certify",
        action="store_true",
        help="also prove the result optimal (stats.certified_optimal)",
    )
    p_cand = sub.add_parser("candidates", help="print every feasible pair, one JSON object a line")
    p_cand.add_argument("instance", help="instance JSON file")
    args = parser.parse_args(argv)
    try:
        inst = _load(args.instance)
        if args.command == "solve":
            text = json.dumps(solve(inst, certify=args.certify).to_dict(), indent=1)
            if args.output:
                try:
                    with open(args.output, "w", encoding="utf-8") as fh:
                        fh.write(text + "\n")
                except OSError as exc:
                    raise InstanceError(
                        f"{args.output}: cannot write file ({exc.strerror or exc})"
                    ) from None
            else:
                sys.stdout.write(text + "\n")
        else:
            out = sys.stdout
            for rec in candidates(inst).records():
                out.write(json.dumps(rec) + "\n")
    except InstanceError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
