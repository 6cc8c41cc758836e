"""PyTorch modules for Duet's exported encoders whose architecture timm has no class for.

`duet export` writes model.safetensors with these modules' state-dict names. A ViT over 2-D
patches (AudioMAE's filterbank tower) loads into timm's VisionTransformer directly; a ViT over
tubelets (VideoMAE's video tower) loads into `TubeletViT` below, which is timm's ViT with a
Conv3d patch embedding. Only PyTorch and timm are needed.
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
