"""PyTorch's side of `duet bench --only W1,W2,W3`, with the peak resident memory of each workload.

Runs W1-W3 from shared/bench/torch_reference.py (the same models, shapes and timing: median of
--steps after 3 warm-up steps) and reads the process's peak resident size (VmHWM) per workload,
reset before each through /proc/self/clear_refs, as `duet bench` does. Python is used only for
this measurement; Duet and its tests never need it.

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/torch_reference_peak.py \
           [--reference ../shared/bench/torch_reference.py] [--threads 2] [--steps 10] [--json out.json] \
           [--duet-json duet.json]

With --duet-json (what `duet bench --only W1,W2,W3 --json` wrote just before), it also prints the
comparison table of the README: Duet ms, PyTorch ms, ratio, GFLOP/s, share of sgemm, peak MB.
With --summarise DIR it runs nothing and prints, over the rounds scripts/bench-vs-pytorch.sh kept
in DIR, each workload's per-round ratios, both medians, their ratio and the rounds at most 0.8x.
"""
import argparse, gc, importlib.util, json, os, platform, statistics, sys


def vm_hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", default=os.path.join(here, "..", "..", "shared", "bench", "torch_reference.py"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--only", default="W1,W2,W3")
    ap.add_argument("--json")
    ap.add_argument("--duet-json")
    ap.add_argument("--summarise", metavar="DIR",
                    help="only print, over the rounds in DIR (duet-N.json beside torch-N.json), each workload's ratios")
    a = ap.parse_args()
    if a.summarise:
        summarise(a.summarise)
        return
    spec = importlib.util.spec_from_file_location("torch_reference", a.reference)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    torch = ref.torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    workloads = {"W1": ref.encoder_step, "W2": ref.mae_audio_step, "W3": ref.attention_step}
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "python": platform.python_version(), "workloads": {}}
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, median of {a.steps} after 3 warm-up steps")
    for name in [w.strip().upper() for w in a.only.split(",") if w.strip()]:
        reset_peak()
        step, flops = workloads[name]()
        med = ref.time_it(step, a.steps)
        peak = vm_hwm_mb()
        out["workloads"][name] = {"median_ms": med * 1e3, "gflops": flops / med / 1e9, "peak_resident_mb": peak}
        print(f"{name}  {med * 1e3:9.1f} ms/step  {flops / med / 1e9:7.1f} GFLOP/s  peak RSS {peak:7.0f} MB")
        del step
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    if a.duet_json:
        print_comparison(json.load(open(a.duet_json)), out)


def print_comparison(duet, torch_out):
    """The README's table from one Duet run and this PyTorch run."""
    print(f"sgemm 2048^3 in the Duet run: {duet.get('sgemmGflops', float('nan')):.1f} GFLOP/s; "
          f"OpenBLAS {duet.get('openblasCore')}, {duet.get('blasThreads')} BLAS threads")
    print("| workload | Duet ms | PyTorch ms | Duet / PyTorch | Duet GFLOP/s | of sgemm | Duet peak MB | PyTorch peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for t in duet.get("training", []):
        key = t["name"].split()[0]
        ref = torch_out["workloads"].get(key)
        if ref is None:
            continue
        print(f"| {t['name']} | {t['milliseconds']:.1f} | {ref['median_ms']:.1f} | {t['milliseconds'] / ref['median_ms']:.2f}x "
              f"| {t['gflops']:.1f} | {100 * t['fractionOfSgemm']:.0f} % | {t.get('peakResidentMegabytes') or float('nan'):.0f} "
              f"| {ref['peak_resident_mb']:.0f} |")


def summarise(folder, target=0.8):
    """Each workload over the rounds of one comparison: per-round ratios, the medians of both sides
    and their ratio, and how many rounds meet issue 7's 0.8x (a shared host's noise moves single
    rounds by a third, so one round decides nothing)."""
    rounds = []
    n = 1
    while os.path.exists(os.path.join(folder, f"duet-{n}.json")) and os.path.exists(os.path.join(folder, f"torch-{n}.json")):
        rounds.append((json.load(open(os.path.join(folder, f"duet-{n}.json"))), json.load(open(os.path.join(folder, f"torch-{n}.json")))))
        n += 1
    if not rounds:
        sys.exit(f"{folder}: no duet-1.json and torch-1.json")
    print(f"over {len(rounds)} rounds in {folder}:")
    print("| workload | Duet / PyTorch per round | Duet median ms | PyTorch median ms | ratio of medians | rounds at most 0.8x |")
    print("|---|---|---|---|---|---|")
    names = [t["name"] for t in rounds[0][0].get("training", [])]
    for name in names:
        key = name.split()[0]
        pairs = [(next(t["milliseconds"] for t in d["training"] if t["name"] == name), r["workloads"][key]["median_ms"])
                 for d, r in rounds if key in r["workloads"]]
        ratios = [a / b for a, b in pairs]
        duet_median, torch_median = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
        print(f"| {name} | {', '.join(f'{x:.2f}' for x in ratios)} | {duet_median:.1f} | {torch_median:.1f} "
              f"| {duet_median / torch_median:.2f}x | {sum(x <= target for x in ratios)} of {len(ratios)} |")


if __name__ == "__main__":
    main()
