"""ONNX exports for benchmarks/ort_web.ts: the CLIP ViT-B/32 image tower and ResNet-50 (input [8, 3, 224, 224]) and the
CLIP text tower (input ids [32, 77]) as PyTorch's code writes them (tools/golden/encoders_models.py, the modules the
golden tests of @pir/encoders check against; encoders_throughput_torch.py times the same ones), random weights,
eval mode, opset 14 — what onnxruntime-web runs in the browser.

Usage: /usr/bin/python3 ort_web_export.py OUT_DIR   → OUT_DIR/vit_b32.onnx, resnet50.onnx, clip_text.onnx
"""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tools', 'golden'))
import encoders_models as M  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    with torch.no_grad():
        vit = M.VisionTransformer(224, 32, 768, 12, 12, 512).eval()
        torch.onnx.export(vit, torch.randn(8, 3, 224, 224), os.path.join(out, 'vit_b32.onnx'), opset_version=14,
                          input_names=['pixels'], output_names=['embedding'])
        try:  # torchvision's own ResNet-50 when installed (Debian: python3-torchvision), as encoders_throughput
            import torchvision

            rn = torchvision.models.resnet50(weights=None).eval()
        except ImportError:
            rn = M.ResNet(M.Bottleneck, [3, 4, 6, 3]).eval()
        torch.onnx.export(rn, torch.randn(8, 3, 224, 224), os.path.join(out, 'resnet50.onnx'), opset_version=14,
                          input_names=['pixels'], output_names=['features'])
        txt = M.TextTransformer(49408, 77, 512, 12, 8, 512).eval()
        ids = torch.randint(1, 49407, (32, 77))
        ids[:, 20] = 49407
        torch.onnx.export(txt, ids, os.path.join(out, 'clip_text.onnx'), opset_version=14,
                          input_names=['ids'], output_names=['embedding'])
    print('{"ok": true}')


if __name__ == '__main__':
    main()
