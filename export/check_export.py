"""Checks a folder written by `duet export` in PyTorch: builds the module config.json names (timm's
VisionTransformer, or duet_modules.TubeletViT or LipReadingEncoder), loads model.safetensors with strict=True, runs
sample.safetensors' input through forward_features and prints the largest difference from Duet's
output. Exits 1 above the tolerance. Usage: python export/check_export.py DIR [--tolerance 1e-4]
(needs torch, timm and safetensors; Duet's CI does not run it)."""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    config = json.load(open(os.path.join(args.folder, "config.json")))
    if config["architecture"]["type"].startswith("timm."):
        import timm
        model = timm.models.vision_transformer.VisionTransformer(**config["model_args"])
    else:
        import duet_modules
        model = getattr(duet_modules, config["architecture"]["type"].split(".")[-1])(**config["model_args"])
    model.load_state_dict(load_file(os.path.join(args.folder, "model.safetensors")), strict=True)
    model.eval()  # batch norms (the lip-reading front-end) on the exported running statistics
    sample = load_file(os.path.join(args.folder, "sample.safetensors"))
    with torch.no_grad():
        out = model.forward_features(sample["input"])
    error = (out - sample["output"]).abs().max().item()
    print(f"{config['modality']} encoder, {config['architecture']['type']}: output {list(out.shape)}, max |difference| {error:.3g}")
    sys.exit(0 if error <= args.tolerance else 1)


if __name__ == "__main__":
    main()
