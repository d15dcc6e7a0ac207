"""Fixtures for loading the authors' PIR checkpoints, and crafted torch files for the readers' memory bounds.

1. Crafted files (`@pir/encoders` weights): genuine `torch.save` output whose pickle views a one-element
   storage with stride 0 as a huge tensor — the reader must refuse them before allocating:
     expand_100k.pth  {'w': zeros(1).expand(100000, 100000)}   (10^10 elements: a bare RangeError before)
     expand_12k.pth   {'w': zeros(1).expand(12000, 12000)}     (576 MB of float32 before)
   -> packages/encoders/test/fixtures/weights/crafted.json (base64 of each file, its size)

2. (see below) small PIR-ITR and PIR-CLIP models under the released code's exact state-dict names.

Run with Debian's PyTorch 1.13: /usr/bin/python3 tools/golden/released_checkpoints.py
"""

import base64
import json
import os
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODERS_OUT = os.path.join(ROOT, "packages/encoders/test/fixtures/weights/crafted.json")


def saved_bytes(obj, name):
    """torch.save to a file called `name` (its stem becomes the archive prefix, as for any saved file)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        torch.save(obj, path)
        with open(path, "rb") as f:
            return f.read()


def crafted():
    files = {}
    for name, n in [("expand_100k.pth", 100_000), ("expand_12k.pth", 12_000)]:
        data = saved_bytes({"w": torch.zeros(1).expand(n, n)}, name)
        files[name] = {"size": len(data), "elements": n * n, "base64": base64.b64encode(data).decode()}
    out = {"torch": torch.__version__, "files": files}
    with open(ENCODERS_OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {ENCODERS_OUT}: " + ", ".join(f"{k} {v['size']} B" for k, v in files.items()))



# ---------------------------------------------------------------------------------------------------------
# 2. The authors' checkpoints at test size, under the released code's exact state-dict names
#
# PIR-ITR (jaychempan/PIR, models/pir.py): torch.save({'model': model.state_dict(), 'config': config}).
#   vision_encoder  X-VLM's Microsoft Swin: [avgpool(norm(x)); norm(x)]  (patch_embed, layers.i.blocks.j, downsample at
#                   the end of a stage, buffers relative_position_index / attn_mask, no head)
#   text_encoder    HF BertModel without pooler (LayerNorm eps 1e-12, exact GELU), called with ids only: attention
#                   mask all ones, token types 0; position_ids buffer
#   conv_encoder    nn.Sequential(*resnet50(num_classes=30).children()[:-1]): .0 conv1, .1 bn1, .4-.7 layer1-4
#   vision_proj, text_proj, conv_proj, mapping_img.i, mapping_txt.i, head_img, head_txt, img_sa/img_ca/txt_sa/txt_ca,
#   temp, temp2
#   forward: get_vision_fusion_embeds (rank the first 50 tokens, keep filter_size), get_text_fusion_embeds (no mask);
#   evaluation embeds captions in chunks of batch_size_test_text, padded to the longest, truncated at max_tokens.
# Test size: 32-px images, Swin with 2 stages (patch 2, window 4: 16x16 then 8x8 tokens, both shifted, so the
# attn_mask buffers exist) -> 1 + 64 = 65 tokens, of which only the first 50 are ranked (the released slice
# matters here; Swin-T at 224 px gives exactly 50).
#
# PIR-CLIP (jaychempan/PIR-CLIP, src/open_clip): an OpenCLIP CLIP with `res_visual` (ModifiedResNet, output_dim =
# embed_dim) and `vision_proj_res` (Linear embed_dim -> ViT width; 512 -> 768 at full size), both towers exact GELU
# (quick_gelu false); VisionTransformer.forward(x, y): soft belief after ln_pre with the rank weight of the j-th
# ranked token's position, x*b + x*w normalised across the token axis (F.normalize dim=1), [y; x], transformer,
# ln_post, token 0, proj. open_clip saves {'epoch', 'name', 'state_dict', 'optimizer'}.
# ---------------------------------------------------------------------------------------------------------

import collections  # noqa: E402
import copy  # noqa: E402
import math  # noqa: E402

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MODELS_OUT = os.path.join(ROOT, "packages/models/test/fixtures/released")
SEED = 20240901
MIN_GAP = 1e-3


def b64(t):
    return base64.b64encode(t.detach().contiguous().to(torch.float32).numpy().tobytes()).decode()


def r(t):
    return [[round(float(x), 7) for x in row] for row in t.detach().to(torch.float64)]


# ---- Swin (Microsoft's swin_transformer.py, as X-VLM vendors it) ----

def window_partition(x, ws):
    B, H, W, C = x.shape
    x = x.view(B, H // ws, ws, W // ws, ws, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, C)


def window_reverse(windows, ws, H, W):
    B = int(windows.shape[0] / (H * W / ws / ws))
    x = windows.view(B, H // ws, W // ws, ws, ws, -1)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(nn.Module):
    def __init__(self, dim, ws, heads):
        super().__init__()
        self.ws, self.heads = ws, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid([torch.arange(ws), torch.arange(ws)], indexing="ij"))
        flat = torch.flatten(coords, 1)
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += ws - 1
        rel[:, :, 1] += ws - 1
        rel[:, :, 0] *= 2 * ws - 1
        self.register_buffer("relative_position_index", rel.sum(-1))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(N, N, -1)
        attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, self.heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, N, N)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B_, N, C))


class SwinBlock(nn.Module):
    def __init__(self, dim, res, heads, ws, shift, mlp_ratio):
        super().__init__()
        if res <= ws:
            shift, ws = 0, res
        self.res, self.ws, self.shift = res, ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, ws, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        if shift > 0:
            img = torch.zeros((1, res, res, 1))
            cnt = 0
            for h in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                for w in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                    img[:, h, w, :] = cnt
                    cnt += 1
            mw = window_partition(img, ws).view(-1, ws * ws)
            mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, float(-100.0)).masked_fill(mask == 0, float(0.0))
        else:
            mask = None
        self.register_buffer("attn_mask", mask)

    def forward(self, x):
        H = W = self.res
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x).view(B, H, W, C)
        if self.shift > 0:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        win = self.attn(window_partition(x, self.ws).view(-1, self.ws * self.ws, C), mask=self.attn_mask)
        x = window_reverse(win.view(-1, self.ws, self.ws, C), self.ws, H, W)
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
        B, L, C = x.shape
        x = x.view(B, self.res, self.res, C)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x.view(B, -1, 4 * C)))


class BasicLayer(nn.Module):
    def __init__(self, dim, res, depth, heads, ws, mlp_ratio, downsample):
        super().__init__()
        self.blocks = nn.ModuleList(
            [SwinBlock(dim, res, heads, ws, 0 if i % 2 == 0 else ws // 2, mlp_ratio) for i in range(depth)])
        self.downsample = PatchMerging(res, dim) if downsample else None

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.downsample(x) if self.downsample is not None else x


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class Swin(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.patch_embed = PatchEmbed(c["patchSize"], c["embedDim"])
        res = c["imageSize"] // c["patchSize"]
        n = len(c["depths"])
        self.layers = nn.ModuleList()
        for i in range(n):
            self.layers.append(BasicLayer(c["embedDim"] * 2 ** i, res // 2 ** i, c["depths"][i], c["numHeads"][i],
                                          c["windowSize"], c["mlpRatio"], i < n - 1))
        self.norm = nn.LayerNorm(c["embedDim"] * 2 ** (n - 1))
        self.avgpool = nn.AdaptiveAvgPool1d(1)

    def forward(self, x):
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        x = self.norm(x)
        x_cls = self.avgpool(x.transpose(1, 2))
        return torch.cat([x_cls.transpose(1, 2), x], dim=1)


# ---- BERT (HF BertModel, no pooler) ----

class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hiddenSize"]
        self.word_embeddings = nn.Embedding(c["vocabSize"], h, padding_idx=0)
        self.position_embeddings = nn.Embedding(c["maxPositions"], h)
        self.token_type_embeddings = nn.Embedding(2, h)
        self.LayerNorm = nn.LayerNorm(h, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(c["maxPositions"]).expand((1, -1)))

    def forward(self, ids):
        L = ids.shape[1]
        e = self.word_embeddings(ids) + self.token_type_embeddings(torch.zeros_like(ids))
        return self.LayerNorm(e + self.position_embeddings(self.position_ids[:, :L]))


class BertSelf(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)


class BertSelfOutput(nn.Module):
    def __init__(self, h, inner=None):
        super().__init__()
        self.dense = nn.Linear(inner or h, h)
        self.LayerNorm = nn.LayerNorm(h, eps=1e-12)


class BertAttention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.self = BertSelf(h)
        self.output = BertSelfOutput(h)


class BertIntermediate(nn.Module):
    def __init__(self, h, inner):
        super().__init__()
        self.dense = nn.Linear(h, inner)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, inner = c["hiddenSize"], c["intermediateSize"]
        self.heads = c["numHeads"]
        self.attention = BertAttention(h)
        self.intermediate = BertIntermediate(h, inner)
        self.output = BertSelfOutput(h, inner)

    def forward(self, x):
        B, L, H = x.shape
        a = self.attention.self
        split = lambda t: t.view(B, L, self.heads, H // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(a.query(x)), split(a.key(x)), split(a.value(x))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(H // self.heads)  # no mask: the released code passes none
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
        o = self.attention.output
        x = o.LayerNorm(o.dense(ctx) + x)
        h = F.gelu(self.intermediate.dense(x))
        return self.output.LayerNorm(self.output.dense(h) + x)


class BertEncoderStack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["numLayers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoderStack(c)

    def forward(self, ids):
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x)
        return x


# ---- torchvision ResNet (Bottleneck), and CLIP's ModifiedResNet ----

class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


def resnet_children(width, layers):
    """torchvision ResNet's children without fc: conv1, bn1, relu, maxpool, layer1-4, avgpool."""
    mods = [nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1)]
    inplanes = width
    for i, n in enumerate(layers):
        planes = width * 2 ** i
        blocks = []
        for j in range(n):
            blocks.append(Bottleneck(inplanes, planes, 2 if (j == 0 and i > 0) else 1))
            inplanes = planes * 4
        mods.append(nn.Sequential(*blocks))
    mods.append(nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(*mods)


class ClipBottleneck(nn.Module):
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
            self.downsample = nn.Sequential(collections.OrderedDict([
                ("-1", nn.AvgPool2d(stride)), ("0", nn.Conv2d(inplanes, planes * 4, 1, bias=False)),
                ("1", nn.BatchNorm2d(planes * 4))]))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.avgpool(F.relu(self.bn2(self.conv2(out))))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class AttentionPool2d(nn.Module):
    def __init__(self, spacial, embed, heads, out):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spacial ** 2 + 1, embed) / embed ** 0.5)
        self.k_proj, self.q_proj, self.v_proj = nn.Linear(embed, embed), nn.Linear(embed, embed), nn.Linear(embed, embed)
        self.c_proj = nn.Linear(embed, out)
        self.heads = heads

    def forward(self, x):
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(2, 0, 1)
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0) + self.positional_embedding[:, None, :]
        x, _ = F.multi_head_attention_forward(
            query=x, key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0., out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias, use_separate_proj_weight=True, training=False, need_weights=False)
        return x[0]


class ModifiedResNet(nn.Module):
    def __init__(self, layers, output_dim, heads, image_size, width):
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
        self.attnpool = AttentionPool2d(image_size // 32, width * 32, heads, output_dim)

    def _make_layer(self, planes, blocks, stride=1):
        layers = [ClipBottleneck(self._inplanes, planes, stride)]
        self._inplanes = planes * 4
        for _ in range(1, blocks):
            layers.append(ClipBottleneck(self._inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.avgpool(F.relu(self.bn3(self.conv3(x))))
        return self.attnpool(self.layer4(self.layer3(self.layer2(self.layer1(x)))))


# ---- the released PAE modules (models/pir.py) ----

class MHAtt(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.d, self.heads = d, heads
        self.linear_v, self.linear_k, self.linear_q, self.linear_merge = (nn.Linear(d, d) for _ in range(4))

    def forward(self, v, k, q):
        bs = q.size(0)
        split = lambda t: t.view(bs, -1, self.heads, self.d // self.heads).transpose(1, 2)  # noqa: E731
        v, k, q = split(self.linear_v(v)), split(self.linear_k(k)), split(self.linear_q(q))
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        att = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.linear_merge(att.transpose(1, 2).contiguous().view(bs, -1, self.d))


def build_mlp(d):
    return nn.Sequential(nn.Linear(d, d * 2), nn.LayerNorm(d * 2), nn.GELU(), nn.Linear(d * 2, d))


class MHSA(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.mhatt = MHAtt(d, heads)
        self.ffn = build_mlp(d)
        self.dropout1 = nn.Dropout(0.2)
        self.norm1 = nn.LayerNorm(d)
        self.dropout2 = nn.Dropout(0.2)
        self.norm2 = nn.LayerNorm(d)

    def forward(self, x):
        x = self.norm1(x + self.dropout1(self.mhatt(x, x, x)))
        return self.norm2(x + self.dropout2(self.ffn(x)))


class CroSA(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.mhatt_cross = MHAtt(d, heads)
        self.ffn = build_mlp(d)
        self.dropout1 = nn.Dropout(0.2)
        self.norm1 = nn.LayerNorm(d)
        self.dropout2 = nn.Dropout(0.2)
        self.norm2 = nn.LayerNorm(d)

    def forward(self, x, y):
        y = self.norm1(y + self.dropout1(self.mhatt_cross(y, y, x)))
        return self.norm2(y + self.dropout2(self.ffn(y)))


def clones(m, n):
    return nn.ModuleList([copy.deepcopy(m) for _ in range(n)])


class ReleasedPir(nn.Module):
    """PIRBase(is_baseline=False) with the released attribute names, in the released registration order."""

    def __init__(self, cfg, swin, bert, resnet):
        super().__init__()
        self.vision_encoder = Swin(swin)
        self.text_encoder = Bert(bert)
        self.conv_encoder = resnet_children(resnet["width"], resnet["layers"])
        D = cfg["embed_dim"]
        self.temp = nn.Parameter(torch.ones([]) * cfg["temp1"])
        self.temp2 = nn.Parameter(torch.ones([]) * cfg["temp2"])
        self.vision_proj = nn.Linear(swin["embedDim"] * 2 ** (len(swin["depths"]) - 1), D)
        self.text_proj = nn.Linear(bert["hiddenSize"], D)
        self.conv_proj = nn.Linear(resnet["width"] * 8 * 4, D)
        self.mapping_img = clones(nn.Linear(D, D), cfg["instru_num"])
        self.mapping_txt = clones(nn.Linear(D, D), cfg["cycle_num"])
        self.head_img = nn.Linear(D, D)
        self.head_txt = nn.Linear(D, D)
        self.img_sa = clones(MHSA(D, cfg["head"]), cfg["instru_num"])
        self.img_ca = clones(CroSA(D, cfg["head"]), cfg["instru_num"])
        self.txt_sa = clones(MHSA(D, cfg["head"]), cfg["cycle_num"])
        self.txt_ca = clones(CroSA(D, cfg["head"]), cfg["cycle_num"])

    def get_vision_fusion_embeds(self, image, config):
        """As released, line for line (the `.squeeze()` that fails on a batch of one included)."""
        filter_size = config["filter_size"]
        swin_feat = self.vision_proj(self.vision_encoder(image))
        conv_feat = self.conv_proj(self.conv_encoder(image).squeeze()).unsqueeze(dim=1)
        image_g_emb = swin_feat[:, 0, :]
        swin_feat_loc = swin_feat[:, 0:50, :]
        score_feat = F.softmax(torch.matmul(swin_feat_loc, conv_feat.transpose(-2, -1)).squeeze(), dim=-1)
        sorted_fscore, sorted_ind = torch.sort(score_feat, dim=1, descending=True)
        swin_feat_fi = torch.cat([torch.index_select(swin_feat_loc[i], 0, sorted_ind[i]).unsqueeze(0)
                                  for i in range(swin_feat_loc.shape[0])], dim=0)[:, :filter_size, :]
        conv_feats = conv_feat.expand(swin_feat_fi.shape)
        for i in range(config["instru_num"]):
            swin_att = self.img_sa[i](swin_feat_fi)
            swin_inst = self.img_ca[i](self.mapping_img[i](conv_feats), swin_att)
            swin_feat_fi = swin_inst
        return F.normalize(image_g_emb + self.head_img(swin_inst[:, 0, :])), sorted_ind[:, :filter_size], \
            torch.matmul(swin_feat_loc, conv_feat.transpose(-2, -1)).squeeze(-1)

    def get_text_fusion_embeds(self, text_ids, config):
        text_feat = self.text_proj(self.text_encoder(text_ids))
        text_g_emb = text_feat[:, 0, :]
        text_l_embs = text_feat[:, 0:text_feat.shape[1], :]
        for i in range(config["cycle_num"]):
            text_att = self.txt_sa[i](text_l_embs)
            text_l_embs = self.txt_ca[i](self.mapping_txt[i](text_l_embs), text_att)
        return F.normalize(text_g_emb + self.head_txt(text_l_embs[:, 0, :]))


def randomize(model, g, conv_std=None):
    """Every parameter random (LayerNorm/BatchNorm affine and biases too), BatchNorm statistics random."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("temp", "temp2", "logit_scale"):
                continue
            if p.dim() <= 1 or name.endswith("relative_position_bias_table"):
                centre = 1.0 if (name.endswith("weight") and p.dim() == 1) else 0.0
                p.copy_(centre + 0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                m.num_batches_tracked.fill_(7)


def belief_gap(logits, k):
    """Smallest gap between neighbouring sorted belief logits among the top k + 1 (float32 must not reorder)."""
    srt = logits.sort(1, descending=True).values[:, : k + 1]
    return float((srt[:, :-1] - srt[:, 1:]).min())


def chunks_released(ids_list, chunk, max_tokens):
    """Retrieval.py's evaluation: chunks of `chunk` captions, each padded to its longest (after truncation)."""
    out = []
    for i in range(0, len(ids_list), chunk):
        part = [t if len(t) <= max_tokens else t[: max_tokens - 1] + t[-1:] for t in ids_list[i: i + chunk]]
        L = max(len(t) for t in part)
        out.append(torch.tensor([t + [0] * (L - len(t)) for t in part]))
    return out


PIR_ITR = {
    # the released config keys (configs/Retrieval_rsitmd.yaml), at test size
    "config": {
        "image_res": 32, "patch_size": 32, "use_swin": True, "vision_config": "configs/config_swin_test.json",
        "text_config": "configs/config_bert_test.json", "max_tokens": 10, "embed_dim": 16, "temp1": 0.05,
        "temp2": 0.03, "filter_size": 8, "instru_num": 2, "cycle_num": 3, "dropout_r": 0.2, "head": 4,
        "batch_size_test": 128, "batch_size_test_text": 3, "is_baseline": False, "use_affil_loss": True,
        "use_triplet_loss": False, "center_factor": 1, "finetune_conv": False,
        "optimizer": {"opt": "adamW", "lr": 6e-5, "weight_decay": 0.01, "lr_mult": 2},
    },
    "swin": {"imageSize": 32, "patchSize": 2, "windowSize": 4, "embedDim": 8, "depths": [2, 2],
             "numHeads": [2, 4], "mlpRatio": 4},
    "bert": {"vocabSize": 60, "hiddenSize": 32, "numLayers": 2, "numHeads": 4, "intermediateSize": 64,
             "maxPositions": 16},
    "resnet": {"width": 4, "layers": [1, 2, 1, 1]},
}


def pir_itr():
    c = PIR_ITR
    cfg = c["config"]
    g = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    model = ReleasedPir(cfg, c["swin"], c["bert"], c["resnet"])
    randomize(model, g)
    model.eval()
    B = 3
    images = torch.rand(B, 3, cfg["image_res"], cfg["image_res"], generator=g) * 2 - 1
    # captions as WordPiece ids: [CLS]=2 words… [SEP]=3 (ids 5..59), lengths 3..14 (some past max_tokens = 10)
    lengths = [5, 12, 3, 8, 14, 6, 4, 9]
    caps = [[2] + [int(x) for x in torch.randint(5, 60, (n - 2,), generator=g)] + [3] for n in lengths]
    with torch.no_grad():
        v, kept, logits = model.get_vision_fusion_embeds(images, cfg)
        gap = belief_gap(logits, cfg["filter_size"])
        assert gap > MIN_GAP, f"belief logits too close to a tie ({gap}): change SEED"
        chunked = torch.cat([model.get_text_fusion_embeds(ids, cfg)
                             for ids in chunks_released(caps, cfg["batch_size_test_text"], cfg["max_tokens"])])
        alone = torch.cat([model.get_text_fusion_embeds(ids, cfg)
                           for ids in chunks_released(caps, 1, cfg["max_tokens"])])
    dep = float((chunked - alone).abs().max())
    print(f"PIR-ITR: min belief-logit gap {gap:.4f}; kept (of the first 50 tokens): {kept.tolist()}")
    print(f"PIR-ITR: max |t(chunk of 3) - t(alone)| = {dep:.4f} (a caption's embedding depends on its chunk)")
    assert dep > 1e-3
    sd = model.state_dict()
    os.makedirs(MODELS_OUT, exist_ok=True)
    path = os.path.join(MODELS_OUT, "pir_itr_released.pth")
    torch.save({"model": sd, "config": cfg}, path)
    fixture = {
        "torch": torch.__version__,
        "file": "pir_itr_released.pth",
        "bytes": os.path.getsize(path),
        "keys": list(sd.keys()),
        "encoders": {k: c[k] for k in ("swin", "bert", "resnet")},
        "images": {"shape": [B, cfg["image_res"], cfg["image_res"], 3], "f32": b64(images.permute(0, 2, 3, 1))},
        "captions": caps,
        "v": r(v),
        "kept": kept.tolist(),
        "tChunked": r(chunked),
        "tAlone": r(alone),
    }
    with open(os.path.join(MODELS_OUT, "pir_itr_released.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"PIR-ITR: wrote {path} ({fixture['bytes']} B, {len(sd)} keys)")


# ---- PIR-CLIP ----

class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, mlp_ratio=4.0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(d, int(d * mlp_ratio))), ("gelu", nn.GELU()), ("c_proj", nn.Linear(int(d * mlp_ratio), d))]))

    def forward(self, x, attn_mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x, attn_mask=None):
        for r_ in self.resblocks:
            x = r_(x, attn_mask=attn_mask)
        return x


class PirVisionTransformer(nn.Module):
    def __init__(self, image_size, patch, width, layers, heads, output_dim):
        super().__init__()
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image_size // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x, y):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        x = torch.cat([self.class_embedding.view(1, 1, -1).expand(x.shape[0], -1, -1), x], dim=1)
        x = self.ln_pre(x + self.positional_embedding)
        # as released (transformer.py of PIR-CLIP): belief, rank weight of the j-th ranked token's position
        logits = torch.matmul(x, y.transpose(-2, -1)).squeeze(-1)
        belief_matrix = F.softmax(torch.matmul(x, y.transpose(-2, -1)).squeeze(), dim=-1)
        sorted_fscore, sorted_ind = torch.sort(belief_matrix, dim=1, descending=True)
        index_weights = 1.0 / torch.sqrt(sorted_ind + 1)
        x = F.normalize(x * belief_matrix.unsqueeze(dim=-1) + x * index_weights.unsqueeze(dim=-1))
        x = torch.cat([y, x], dim=1)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_post(x)
        return x[:, 0] @ self.proj, logits


class ReleasedPirClip(nn.Module):
    """OpenCLIP's CLIP as PIR-CLIP modifies it (model.py), registration order as released."""

    def __init__(self, c):
        super().__init__()
        v, t, rn = c["vision"], c["text"], c["res"]
        hw = c["head_width"]
        self.vision_proj_res = nn.Linear(c["embed_dim"], v["width"])
        self.visual = PirVisionTransformer(v["image_size"], v["patch_size"], v["width"], v["layers"],
                                           v["width"] // hw, c["embed_dim"])
        self.res_visual = ModifiedResNet(rn["layers"], c["embed_dim"], rn["width"] * 32 // hw, v["image_size"],
                                         rn["width"])
        self.transformer = Transformer(t["width"], t["layers"], t["heads"])
        self.token_embedding = nn.Embedding(t["vocab_size"], t["width"])
        self.positional_embedding = nn.Parameter(torch.empty(t["context_length"], t["width"]))
        self.ln_final = nn.LayerNorm(t["width"])
        self.text_projection = nn.Parameter(torch.empty(t["width"], c["embed_dim"]))
        mask = torch.empty(t["context_length"], t["context_length"]).fill_(float("-inf")).triu_(1)
        self.register_buffer("attn_mask", mask, persistent=False)
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def encode_image(self, image):
        y = self.vision_proj_res(self.res_visual(image)).unsqueeze(dim=1)
        features, logits = self.visual(image, y)
        return F.normalize(features, dim=-1), logits

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2), attn_mask=self.attn_mask).permute(1, 0, 2)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection
        return F.normalize(x, dim=-1)


PIR_CLIP = {
    "embed_dim": 24, "head_width": 8,
    "vision": {"image_size": 32, "patch_size": 8, "width": 32, "layers": 2},
    "res": {"width": 2, "layers": [1, 2, 1, 1]},
    "text": {"context_length": 12, "vocab_size": 64, "width": 32, "heads": 4, "layers": 2},
}


def pir_clip():
    c = PIR_CLIP
    g = torch.Generator().manual_seed(SEED + 1)
    torch.manual_seed(SEED + 1)
    model = ReleasedPirClip(c)
    randomize(model, g)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(40.0))
    model.eval()
    B = 3
    size = c["vision"]["image_size"]
    images = torch.rand(B, 3, size, size, generator=g) * 2 - 1
    # open_clip.tokenize: [SOT] words [EOT] then zeros; EOT is the largest id (63 here)
    lengths = [4, 7, 3, 12, 5]
    caps = [[1] + [int(x) for x in torch.randint(2, 62, (n - 2,), generator=g)] + [63] for n in lengths]
    text = torch.tensor([t + [0] * (c["text"]["context_length"] - len(t)) for t in caps])
    with torch.no_grad():
        v, logits = model.encode_image(images)
        t = model.encode_text(text)
    gap = belief_gap(logits, logits.shape[1] - 1)
    assert gap > MIN_GAP, f"belief logits too close to a tie ({gap}): change SEED"
    print(f"PIR-CLIP: min belief-logit gap {gap:.4f} over all {logits.shape[1]} tokens (the ranks weight them)")
    sd = model.state_dict()
    os.makedirs(MODELS_OUT, exist_ok=True)
    path = os.path.join(MODELS_OUT, "pir_clip_released.pt")
    # as open_clip's training main.py saves it (DistributedDataParallel: 'module.' prefixes), with an optimizer
    # state beside the model that the reader must not materialise
    ddp = collections.OrderedDict((f"module.{k}", p) for k, p in sd.items())
    opt = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros(4), "exp_avg_sq": torch.zeros(4)}},
           "param_groups": [{"lr": 1e-5, "betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.5, "params": [0]}]}
    torch.save({"epoch": 5, "name": "pir-clip-test", "state_dict": ddp, "optimizer": opt}, path)
    fixture = {
        "torch": torch.__version__,
        "file": "pir_clip_released.pt",
        "bytes": os.path.getsize(path),
        "keys": list(sd.keys()),
        "config": c,
        "images": {"shape": [B, size, size, 3], "f32": b64(images.permute(0, 2, 3, 1))},
        "captions": caps,
        "ids": text.tolist(),
        "v": r(v),
        "t": r(t),
        "logitScale": float(model.logit_scale.exp()),
    }
    with open(os.path.join(MODELS_OUT, "pir_clip_released.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"PIR-CLIP: wrote {path} ({fixture['bytes']} B, {len(sd)} keys)")


if __name__ == "__main__":
    crafted()
    if "--crafted-only" not in sys.argv:
        pir_itr()
        pir_clip()
