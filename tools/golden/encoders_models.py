#!/usr/bin/env python3
"""Golden values for the encoder architectures of @pir/encoders (src/layers, src/models).

Our own PyTorch definitions of the public architectures (OpenAI CLIP `clip/model.py` ViT and text towers,
torchvision ResNet, Hugging Face BertModel), written from their published layouts with the same parameter
names, at tiny sizes with fixed seeds and in eval mode. Each fixture holds the config, the state dict, the
inputs (channels-last images for the tfjs side) and the outputs. Also prints/writes the parameter counts of
the published configurations.

Run from the repository root:  /usr/bin/python3 tools/golden/encoders_models.py
Writes packages/encoders/test/fixtures/models/*.json.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'encoders', 'test', 'fixtures', 'models')
SEED = 20240601


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {'shape': list(t.shape), 'data': [float(f'{v:.9g}') for v in t.reshape(-1).tolist()]}


def state_json(m):
    return {k: tensor_json(v) for k, v in m.state_dict().items()}


def randomize_bn(m, g):
    """Give BatchNorm non-trivial running statistics and affine parameters (as a trained net has)."""
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            mod.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f'{name}.json')
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    print(f'{name}: {os.path.getsize(path) / 1024:.0f} KB')


def nparams(m):
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- OpenAI CLIP (clip/model.py layout)

class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, attn_mask=None, act='quick_gelu'):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_1 = nn.LayerNorm(d)
        self.mlp = nn.Sequential()
        self.mlp.add_module('c_fc', nn.Linear(d, d * 4))
        self.mlp.add_module('gelu', QuickGELU() if act == 'quick_gelu' else nn.GELU())
        self.mlp.add_module('c_proj', nn.Linear(d * 4, d))
        self.ln_2 = nn.LayerNorm(d)
        self.attn_mask = attn_mask

    def forward(self, x):  # x: LND
        y = self.ln_1(x)
        mask = self.attn_mask.to(x.dtype) if self.attn_mask is not None else None
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, input_resolution, patch_size, width, layers, heads, output_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x):  # x: NCHW
        x = self.conv1(x)  # [B, W, g, g]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [B, N, W]
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)  # NLD -> LND -> NLD
        tokens = self.ln_post(x)
        return tokens[:, 0, :] @ self.proj, tokens[:, 1:, :]


class TextTransformer(nn.Module):
    def __init__(self, vocab, context, width, layers, heads, embed_dim):
        super().__init__()
        mask = torch.empty(context, context).fill_(float('-inf')).triu_(1)
        self.context = context
        self.token_embedding = nn.Embedding(vocab, width)
        self.positional_embedding = nn.Parameter(torch.randn(context, width) * 0.01)
        self.transformer = Transformer(width, layers, heads, attn_mask=mask)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed_dim) * width ** -0.5)

    def forward(self, ids):  # ids: [B, context]
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection, x


# ---------------------------------------------------------------- torchvision ResNet

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, block, layers, width=64, num_classes=1000):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(block, width, layers[0], 1)
        self.layer2 = self._make(block, width * 2, layers[1], 2)
        self.layer3 = self._make(block, width * 4, layers[2], 2)
        self.layer4 = self._make(block, width * 8, layers[3], 2)
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes) if num_classes > 0 else None

    def _make(self, block, planes, blocks, stride):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * block.expansion))
        mods = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        mods += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # [B, C, h, w]
        pooled = x.mean(dim=(2, 3))
        logits = self.fc(pooled) if self.fc is not None else None
        return pooled, x.flatten(2).permute(0, 2, 1), logits


# ---------------------------------------------------------------- Hugging Face BertModel layout

class BertSelfAttention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)


class BertAttention(nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.self = BertSelfAttention(h)
        self.output = nn.Module()
        self.output.dense = nn.Linear(h, h)
        self.output.LayerNorm = nn.LayerNorm(h, eps=eps)


class BertLayer(nn.Module):
    def __init__(self, h, inter, heads, eps):
        super().__init__()
        self.heads = heads
        self.attention = BertAttention(h, eps)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(h, inter)
        self.output = nn.Module()
        self.output.dense = nn.Linear(inter, h)
        self.output.LayerNorm = nn.LayerNorm(h, eps=eps)

    def forward(self, x, ext_mask):
        B, L, H = x.shape
        nh, hd = self.heads, H // self.heads
        sa = self.attention.self
        q = sa.query(x).view(B, L, nh, hd).transpose(1, 2)  # (B, nh, L, hd)
        k = sa.key(x).view(B, L, nh, hd).transpose(1, 2)
        v = sa.value(x).view(B, L, nh, hd).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + ext_mask
        ctx = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
        h1 = self.attention.output.LayerNorm(self.attention.output.dense(ctx) + x)
        f = self.output.dense(F.gelu(self.intermediate.dense(h1)))
        return self.output.LayerNorm(f + h1)


class BertModel(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, max_pos, types=2, eps=1e-12):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(vocab, h)
        self.embeddings.position_embeddings = nn.Embedding(max_pos, h)
        self.embeddings.token_type_embeddings = nn.Embedding(types, h)
        self.embeddings.LayerNorm = nn.LayerNorm(h, eps=eps)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList([BertLayer(h, inter, heads, eps) for _ in range(layers)])
        self.pooler = nn.Module()
        self.pooler.dense = nn.Linear(h, h)

    def forward(self, ids, mask):
        L = ids.shape[1]
        e = self.embeddings
        x = e.word_embeddings(ids) + e.position_embeddings(torch.arange(L))[None] + e.token_type_embeddings(torch.zeros_like(ids))
        x = e.LayerNorm(x)
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.encoder.layer:
            x = layer(x, ext)
        return x, torch.tanh(self.pooler.dense(x[:, 0]))


# ---------------------------------------------------------------- fixtures

def nhwc(x):
    return x.permute(0, 2, 3, 1)


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    counts = {}
    with torch.no_grad():
        # CLIP ViT, tiny (CLIP_VIT_TEST)
        vit = VisionTransformer(32, 8, 32, 2, 4, 24).eval()
        img = torch.randn(2, 3, 32, 32, generator=g)
        glob, local = vit(img)
        write('clip_vit_tiny', {'config': {'imageSize': 32, 'patchSize': 8, 'width': 32, 'layers': 2, 'heads': 4, 'outputDim': 24},
                                'state': state_json(vit), 'images': tensor_json(nhwc(img)),
                                'global': tensor_json(glob), 'local': tensor_json(local)})
        # CLIP text, tiny (CLIP_TEXT_TEST); end-of-text = largest id; padding 0 after it
        txt = TextTransformer(64, 12, 32, 2, 4, 24).eval()
        ids = torch.zeros(3, 12, dtype=torch.long)
        lengths = [5, 12, 2]
        for i, n in enumerate(lengths):
            ids[i, :n - 1] = torch.randint(1, 62, (n - 1,), generator=g)
            ids[i, n - 1] = 63
        mask = (torch.arange(12)[None] < torch.tensor(lengths)[:, None]).float()
        glob, local = txt(ids)
        write('clip_text_tiny', {'state': state_json(txt), 'ids': ids.tolist(), 'mask': mask.tolist(),
                                 'global': tensor_json(glob), 'local': tensor_json(local)})
        # torchvision ResNet, tiny bottleneck (RESNET_TEST) and tiny basic
        for name, block, layers in [('resnet_tiny', Bottleneck, [1, 1, 1, 1]), ('resnet_basic_tiny', BasicBlock, [1, 2, 1, 1])]:
            net = ResNet(block, layers, width=4, num_classes=5).eval()
            randomize_bn(net, g)
            img = torch.randn(2, 3, 48, 48, generator=g)
            pooled, loc, logits = net(img)
            write(name, {'state': state_json(net), 'images': tensor_json(nhwc(img)), 'global': tensor_json(pooled),
                         'local': tensor_json(loc), 'logits': tensor_json(logits)})
        # BERT, tiny (BERT_TEST)
        bert = BertModel(50, 32, 2, 4, 64, 16).eval()
        ids = torch.randint(1, 50, (3, 7), generator=g)
        lengths = [7, 4, 2]
        mask = (torch.arange(7)[None] < torch.tensor(lengths)[:, None]).long()
        ids = ids * mask
        hidden, pooled = bert(ids, mask)
        st = state_json(bert)
        st['embeddings.position_ids'] = {'shape': [1, 16], 'data': list(range(16))}  # the HF buffer
        write('bert_tiny', {'state': st, 'ids': ids.tolist(), 'mask': mask.tolist(),
                            'local': tensor_json(hidden), 'pooler': tensor_json(pooled)})

    # published sizes: parameter counts as PyTorch's parameters() counts them
    counts['clip_vit_b32'] = nparams(VisionTransformer(224, 32, 768, 12, 12, 512))
    counts['clip_text_b32'] = nparams(TextTransformer(49408, 77, 512, 12, 8, 512))
    counts['resnet18'] = nparams(ResNet(BasicBlock, [2, 2, 2, 2]))
    counts['resnet50'] = nparams(ResNet(Bottleneck, [3, 4, 6, 3]))
    counts['resnet50_nofc'] = nparams(ResNet(Bottleneck, [3, 4, 6, 3], num_classes=0))
    counts['bert_base'] = nparams(BertModel(30522, 768, 12, 12, 3072, 512))
    write('param_counts', counts)
    print(counts)


if __name__ == '__main__':
    main()
