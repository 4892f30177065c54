"""Command line: `python -m explorer pretrain | bench | thumbnails`."""

from __future__ import annotations

import argparse
import sys

DEFAULT_JSON = "bench.json"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer", description="Latent Lab's command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    pretrain = commands.add_parser("pretrain", help="train the shipped checkpoints and write pretrained/manifest.json")
    pretrain.add_argument("--only", nargs="*", default=(), help="names of the checkpoints to (re)train")
    bench = commands.add_parser("bench", help="measure speed; print a table and write JSON")
    bench.add_argument("--json", default=DEFAULT_JSON, help="where to write the results")
    bench.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    bench.add_argument("--skip-browser", action="store_true", help="skip the cold-start-to-first-paint check")
    bench.add_argument("--load", type=int, nargs="*", metavar="N",
                       help="instead: N concurrent browser sessions on the real server (default 1 5 10 20), "
                            "written to bench_load.json unless --json is given")
    bench.add_argument("--ws", type=int, nargs="+", metavar="N",
                       help="instead: N simulated sessions over Streamlit's websocket, no browsers (explorer.bench."
                            "ws_load), written to bench_ws.json unless --json is given")
    bench.add_argument("--class", type=int, nargs="+", metavar="N", dest="class_followers",
                       help="instead: a lecturer's room and N simulated followers over the websocket, the time from "
                            "a knob change to each follower's view (explorer.bench.ws_class_load), written to "
                            "bench_class.json unless --json is given")
    bench.add_argument("--class-sweep", type=int, nargs="*", metavar="N",
                       help="instead: a lecturer and N simulated students (default 10) run the 10-point class sweep "
                            "on a fresh server, timed from Start to the lecturer's \"10 done\" (explorer.bench."
                            "ws_class_sweep), written to bench_class_sweep.json unless --json is given")
    bench.add_argument("--with-browsers", action="store_true", help="with --ws: the browser bench too, and a table")
    bench.add_argument("--replicas", action="store_true",
                       help="with --class: two servers sharing a throw-away Redis (Debian's redis-server), the "
                            "lecturer on one and the followers on the other")
    bench.add_argument("--training-share", action="store_true",
                       help="instead: two sessions training at once vs each alone, and the time to each panel's "
                            "teaching point, written to bench_share.json unless --json is given")
    thumbnails = commands.add_parser("thumbnails", help="the home page's thumbnails from page screenshots")
    thumbnails.add_argument("screenshots", help="a folder written by ../shared/tools/screenshot_pages.py")
    return parser


def bench(args: argparse.Namespace) -> None:
    """The one bench `args` asks for; each writes its own JSON file unless --json names one."""

    def json_path(default: str) -> str:
        return default if args.json == DEFAULT_JSON else args.json

    if args.class_followers is not None:
        from explorer.bench import ws_class_load

        ws_class_load.main(tuple(args.class_followers), json_path("bench_class.json"), replicas=args.replicas)
    elif args.class_sweep is not None:
        from explorer.bench import ws_class_sweep

        ws_class_sweep.main(tuple(args.class_sweep) or (10,), json_path("bench_class_sweep.json"))
    elif args.ws is not None:
        from explorer.bench import ws_load

        ws_load.main(tuple(args.ws), json_path("bench_ws.json"), quick=args.quick, with_browsers=args.with_browsers)
    elif args.training_share:
        from explorer.bench import share

        share.main(json_path("bench_share.json"))
    elif args.load is not None:
        from explorer.bench import load

        load.main(tuple(args.load) or (1, 5, 10, 20), json_path("bench_load.json"), quick=args.quick)
    else:
        from explorer import bench as speed

        speed.main(args.json, quick=args.quick, browser=not args.skip_browser)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "thumbnails":
        from explorer import lecture

        for path in lecture.make_thumbnails(args.screenshots):
            print(path)
    elif args.command == "pretrain":
        from explorer.training import pretrain

        pretrain.main(tuple(args.only))
    else:
        bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
