"""PyTorch modules for Duet's exported encoders whose architecture timm has no class for.

`duet export` writes model.safetensors with these modules' state-dict names. A ViT over 2-D
patches (AudioMAE's filterbank tower) loads into timm's VisionTransformer directly; a ViT over
tubelets (VideoMAE's video tower) loads into `TubeletViT` below, which is timm's ViT with a
Conv3d patch embedding; RAVEn's video tower loads into `LipReadingEncoder` (Auto-AVSR's
Conv3dResNet front-end, then timm Blocks). Only PyTorch and timm are needed.
"""
from functools import partial

import torch
from torch import nn
from timm.models.vision_transformer import Block


class TubeletEmbed(nn.Module):
    """[B, C, T, H, W] → [B, (T/t)·(H/p)·(W/p), D], tokens row-major over (time, height, width)."""

    def __init__(self, in_chans, embed_dim, tubelet_size, patch_size):
        super().__init__()
        size = (tubelet_size, patch_size, patch_size)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=size, stride=size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TubeletViT(nn.Module):
    """VideoMAE's encoder as Duet trains it: tubelet embedding, a class token, a fixed sine-cosine
    position table (stored as `pos_embed`, its class-token row zero), pre-norm timm Blocks, a final
    LayerNorm (eps 1e-6). `forward_features` returns every token, the class token first."""

    def __init__(self, num_frames, img_size, tubelet_size, patch_size, in_chans, embed_dim, depth, num_heads,
                 mlp_ratio=4.0, qkv_bias=True, class_token=True):
        super().__init__()
        height, width = img_size
        tokens = (num_frames // tubelet_size) * (height // patch_size) * (width // patch_size)
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.patch_embed = TubeletEmbed(in_chans, embed_dim, tubelet_size, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + (1 if class_token else 0), embed_dim), requires_grad=False)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, norm_layer=norm_layer)
                                     for _ in range(depth)])
        self.norm = norm_layer(embed_dim)

    def forward_features(self, x):
        x = self.patch_embed(x)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, x):
        return self.forward_features(x)


def _activation(relu_type, channels):
    """Auto-AVSR's `relu_type`: Swish (x·σ(x), parameter-free like SiLU), PReLU (slopes `weight`), ReLU."""
    if relu_type == "swish":
        return nn.SiLU()
    if relu_type == "prelu":
        return nn.PReLU(num_parameters=channels)
    return nn.ReLU()


class BasicBlock(nn.Module):
    """Auto-AVSR's ResNet BasicBlock: two 3×3 convolutions without bias, each with a BatchNorm2d;
    its activations are named relu1 and relu2; a 1×1 strided conv + BatchNorm2d shortcut
    (`downsample.0`, `downsample.1`) where the stride or the width changes."""

    def __init__(self, inplanes, planes, stride, relu_type):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = _activation(relu_type, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = _activation(relu_type, planes)
        self.downsample = (nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                           if stride != 1 or inplanes != planes else None)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + (x if self.downsample is None else self.downsample(x)))


class ResNetTrunk(nn.Module):
    """Auto-AVSR's ResNet without a stem: layer1…layerN of BasicBlocks (each stage after the first
    strides by 2 and doubles the width), then a global average pool. [N, w, H, W] → [N, 2^(n−1)·w]."""

    def __init__(self, width, layers, relu_type):
        super().__init__()
        inplanes = width
        for stage, count in enumerate(layers):
            planes = width << stage
            blocks = [BasicBlock(inplanes if i == 0 else planes, planes, 2 if i == 0 and stage > 0 else 1, relu_type)
                      for i in range(count)]
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
            inplanes = planes

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x.mean(dim=(2, 3))


class Conv3dResNet(nn.Module):
    """RAVEn / Auto-AVSR's lip-reading front-end: `frontend3D` (Conv3d C→w (5, 7, 7) stride
    (1, 2, 2), BatchNorm3d, activation, MaxPool3d (1, 3, 3) stride (1, 2, 2)), then each frame
    through `trunk`. [B, C, T, H, W] → [B, T, 8·w] (ResNet-18's four stages)."""

    def __init__(self, in_chans=1, width=64, layers=(2, 2, 2, 2), relu_type="swish"):
        super().__init__()
        self.frontend3D = nn.Sequential(
            nn.Conv3d(in_chans, width, (5, 7, 7), (1, 2, 2), (2, 3, 3), bias=False), nn.BatchNorm3d(width),
            _activation(relu_type, width), nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1)))
        self.trunk = ResNetTrunk(width, layers, relu_type)

    def forward(self, x):
        x = self.frontend3D(x)
        b, c, t, h, w = x.shape
        return self.trunk(x.transpose(1, 2).reshape(b * t, c, h, w)).reshape(b, t, -1)


class LipReadingEncoder(nn.Module):
    """RAVEn's video encoder as Duet trains it: `frontend` (Conv3dResNet), `proj` (Linear to the
    transformer's width), a fixed 1-D sine-cosine table over the frames (`pos_embed` [1, T, D],
    so inputs must have exactly num_frames frames), pre-norm timm Blocks (LayerScale `ls1.gamma`,
    `ls2.gamma` when init_values is set), a final LayerNorm (eps 1e-6). `forward_features` maps
    gray mouth crops [B, 1, T, H, W] to one token a frame, [B, T, D]. Call `.eval()`: the batch
    norms must use the exported running statistics."""

    def __init__(self, num_frames, in_chans, resnet_width, resnet_layers, relu_type, embed_dim, depth, num_heads,
                 mlp_ratio=4.0, qkv_bias=True, init_values=None):
        super().__init__()
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.frontend = Conv3dResNet(in_chans, resnet_width, resnet_layers, relu_type)
        self.proj = nn.Linear(resnet_width << (len(resnet_layers) - 1), embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_frames, embed_dim), requires_grad=False)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, init_values=init_values,
                                           norm_layer=norm_layer) for _ in range(depth)])
        self.norm = norm_layer(embed_dim)

    def forward_features(self, x):
        x = self.proj(self.frontend(x)) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, x):
        return self.forward_features(x)
