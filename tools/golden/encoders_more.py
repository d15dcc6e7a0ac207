#!/usr/bin/env python3
"""Golden values for the second batch of encoder architectures of @pir/encoders (src/models):
Swin Transformer (official microsoft/Swin-Transformer layout), OpenAI CLIP ModifiedResNet (RN50 visual tower)
and a GRU text encoder (torch.nn.GRU, VSE-style).

Our own PyTorch definitions written from the public layouts with the same parameter names and buffers, at
tiny sizes with fixed seeds, in eval mode. Each fixture holds the state dict (buffers included, as real
checkpoints have them), the inputs (channels-last images for the tfjs side) and the outputs. Also writes the
parameter counts of the published configurations.

Run from the repository root:  /usr/bin/python3 tools/golden/encoders_more.py
Writes packages/encoders/test/fixtures/models/{swin_tiny,modified_resnet_tiny,gru_tiny,param_counts_more}.json.
"""
import json
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'encoders', 'test', 'fixtures', 'models')
SEED = 20240602


def tensor_json(t, digits=9):
    t = t.detach().to(torch.float32).contiguous()
    return {'shape': list(t.shape), 'data': [float(f'{v:.{digits}g}') for v in t.reshape(-1).tolist()]}


def state_json(m, digits=9):
    return {k: tensor_json(v, digits) for k, v in m.state_dict().items()}


def round_state(m, digits=7):
    """Round every parameter and buffer to `digits` significant digits (smaller fixtures; outputs are computed
    from the rounded values, so the fixture stays exact)."""
    for t in m.state_dict().values():
        if t.is_floating_point():
            t.copy_(torch.tensor([float(f'{v:.{digits}g}') for v in t.reshape(-1).tolist()]).view(t.shape))


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f'{name}.json')
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    print(f'{name}: {os.path.getsize(path) / 1024:.0f} KB')


def nparams(m):
    return sum(p.numel() for p in m.parameters())


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def randomize_bn(m, g):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


# ---------------------------------------------------------------- Swin (official swin_transformer.py layout)

def window_partition(x, ws):
    B, H, W, C = x.shape
    x = x.view(B, H // ws, ws, W // ws, ws, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, C)


def window_reverse(windows, ws, H, W):
    B = int(windows.shape[0] / (H * W / ws / ws))
    x = windows.view(B, H // ws, W // ws, ws, ws, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(nn.Module):
    def __init__(self, dim, ws, heads):
        super().__init__()
        self.dim, self.ws, self.heads = dim, ws, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) * (2 * ws - 1), heads))
        coords = torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing='ij'))  # 2, Wh, Ww
        flat = torch.flatten(coords, 1)  # 2, N
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()  # N, N, 2
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer('relative_position_index', rel.sum(-1))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(N, N, -1)
        attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, self.heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, N, N)
        attn = attn.softmax(-1)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim, res, heads, ws, shift, mlp_ratio=4.0):
        super().__init__()
        self.dim, self.res = dim, res
        if min(res) <= ws:
            shift, ws = 0, min(res)
        self.ws, self.shift = ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, ws, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        if shift > 0:
            H, W = res
            img_mask = torch.zeros((1, H, W, 1))
            cnt = 0
            for h in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                for w in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                    img_mask[:, h, w, :] = cnt
                    cnt += 1
            mw = window_partition(img_mask, ws).view(-1, ws * ws)
            attn_mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        else:
            attn_mask = None
        self.register_buffer('attn_mask', attn_mask)

    def forward(self, x):
        H, W = self.res
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x).view(B, H, W, C)
        if self.shift > 0:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        xw = window_partition(x, self.ws).view(-1, self.ws * self.ws, C)
        aw = self.attn(xw, mask=self.attn_mask).view(-1, self.ws, self.ws, C)
        x = window_reverse(aw, self.ws, H, W)
        if self.shift > 0:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + x.view(B, H * W, C)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, res, dim):
        super().__init__()
        self.res = res
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x):
        H, W = self.res
        B, L, C = x.shape
        x = x.view(B, H, W, C)
        x0, x1 = x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :]
        x2, x3 = x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1).view(B, -1, 4 * C)
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    def __init__(self, dim, res, depth, heads, ws, downsample, mlp_ratio=4.0):
        super().__init__()
        self.blocks = nn.ModuleList([SwinTransformerBlock(dim, res, heads, ws, 0 if i % 2 == 0 else ws // 2, mlp_ratio)
                                     for i in range(depth)])
        self.downsample = PatchMerging(res, dim) if downsample else None

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.downsample(x) if self.downsample is not None else x


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class SwinTransformer(nn.Module):
    def __init__(self, img=224, patch=4, num_classes=1000, embed=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24), ws=7,
                 mlp_ratio=4.0):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, embed)
        r = img // patch
        self.layers = nn.ModuleList()
        for i, d in enumerate(depths):
            res = r // 2 ** i
            self.layers.append(BasicLayer(embed * 2 ** i, (res, res), d, heads[i], ws, i < len(depths) - 1, mlp_ratio))
        self.num_features = embed * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()

    def forward(self, x):
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)  # [B, L, C]
        pooled = x.mean(1)
        return pooled, x, self.head(pooled)


# ---------------------------------------------------------------- OpenAI CLIP ModifiedResNet (clip/model.py)

class CBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride > 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(OrderedDict([
                ('-1', nn.AvgPool2d(stride)),
                ('0', nn.Conv2d(inplanes, planes * 4, 1, stride=1, bias=False)),
                ('1', nn.BatchNorm2d(planes * 4))]))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.avgpool(out)
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class AttentionPool2d(nn.Module):
    def __init__(self, spacial_dim, embed_dim, num_heads, output_dim=None):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spacial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim or embed_dim)
        self.num_heads = num_heads

    def forward(self, x):
        x = x.flatten(start_dim=2).permute(2, 0, 1)  # NCHW -> (HW)NC
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)  # (HW+1)NC
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        x, _ = F.multi_head_attention_forward(
            query=x[:1], key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.num_heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0, out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias, use_separate_proj_weight=True, training=self.training,
            need_weights=False)
        return x.squeeze(0)


class ModifiedResNet(nn.Module):
    def __init__(self, layers, output_dim, heads, input_resolution=224, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.avgpool = nn.AvgPool2d(2)
        self._inplanes = width
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(width * 8, layers[3], stride=2)
        self.attnpool = AttentionPool2d(input_resolution // 32, width * 32, heads, output_dim)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [CBottleneck(self._inplanes, planes, stride)]
        self._inplanes = planes * 4
        layers += [CBottleneck(self._inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = self.avgpool(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # [B, C, h, w]
        return self.attnpool(x), x.flatten(2).permute(0, 2, 1)


# ---------------------------------------------------------------- GRU text encoder (VSE++ / SCAN layout)

class GRUText(nn.Module):
    def __init__(self, vocab, word_dim, hidden, layers, bidirectional):
        super().__init__()
        self.embed = nn.Embedding(vocab, word_dim)
        self.rnn = nn.GRU(word_dim, hidden, layers, batch_first=True, bidirectional=bidirectional)

    def forward(self, ids, lengths):
        x = self.embed(ids)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, h_n  # [B, L, dirs·H] (zeros at padding), [layers·dirs, B, H]


# ---------------------------------------------------------------- fixtures

def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        # Swin, tiny (SWIN_TEST): 32 px, patch 2, window 4 → stages at 16, 8 (shifted), 4, 2 (one window of 2)
        swin = SwinTransformer(32, 2, 5, 8, (2, 2, 2, 1), (1, 2, 2, 4), 4, mlp_ratio=2.0).eval()
        for n, p in swin.named_parameters():  # non-trivial LayerNorm affine parameters and biases
            if n.endswith('bias') or 'norm' in n:
                p.add_(torch.randn(p.shape, generator=g) * 0.1)
        round_state(swin)
        img = torch.randn(2, 3, 32, 32, generator=g)
        pooled, tokens, logits = swin(img)
        write('swin_tiny', {'state': state_json(swin, 7), 'images': tensor_json(nhwc(img)), 'global': tensor_json(pooled),
                            'local': tensor_json(tokens), 'logits': tensor_json(logits)})

        # CLIP ModifiedResNet, tiny (CLIP_RN_TEST): width 2 (embed 64), layers 1-2-1-1, 64 px → 2×2 grid, 4 heads
        mr = ModifiedResNet((1, 2, 1, 1), 24, 4, input_resolution=64, width=2).eval()
        randomize_bn(mr, g)
        round_state(mr)
        img = torch.randn(2, 3, 64, 64, generator=g)
        pooled, grid = mr(img)
        write('modified_resnet_tiny', {'state': state_json(mr, 7), 'images': tensor_json(nhwc(img)),
                                       'global': tensor_json(pooled), 'local': tensor_json(grid)})

        # GRU, tiny: vocab 30, word 8, hidden 6, 2 layers, bidirectional and unidirectional
        gru = {}
        for name, bi in [('bi', True), ('uni', False)]:
            m = GRUText(30, 8, 6, 2, bi).eval()
            lengths = [5, 7, 2]
            ids = torch.randint(1, 30, (3, 7), generator=g)
            ids = ids * (torch.arange(7)[None] < torch.tensor(lengths)[:, None]).long()
            out, h_n = m(ids, torch.tensor(lengths))
            gru[name] = {'state': state_json(m), 'ids': ids.tolist(), 'lengths': lengths,
                         'out': tensor_json(out), 'h_n': tensor_json(h_n)}
        write('gru_tiny', gru)

    counts = {
        'swin_t': nparams(SwinTransformer()),
        'swin_t_nohead': nparams(SwinTransformer(num_classes=0)),
        'clip_rn50_visual': nparams(ModifiedResNet((3, 4, 6, 3), 1024, 32, 224, 64)),
        'clip_rn101_visual': nparams(ModifiedResNet((3, 4, 23, 3), 512, 32, 224, 64)),
        'vse_gru_bi': nparams(GRUText(10000, 300, 1024, 1, True)),
    }
    write('param_counts_more', counts)
    print(counts)


if __name__ == '__main__':
    main()
