/**
 * PIR-CLIP in its two stages (PIR_SPEC §5), each a run of `runTraining` of `@pir/train/node`:
 *
 * 1. **stage 1 — CLIP contrastive fine-tuning** (`pir-clip-stage1-<size>`: the same `PirClip` with its PIR parts
 *    switched off — no belief, no instruction token, λ = 0 — so it is a plain CLIP; the paper starts here from
 *    RS5M / GeoRSCLIP; give `clip` to start from OpenAI CLIP or OpenCLIP ViT-B/32 weights);
 * 2. **stage 2 — PIR fine-tuning** (`pir-clip-<size>`: soft belief, the instruction token, the affiliation
 *    loss) starting from stage 1's selected model: every tensor of the same name and shape is loaded (the ViT,
 *    the text tower, the logit scale), the PIR parts start as initialised.
 *
 * Each stage validates every epoch, keeps its best epoch by validation mR and reports the test split there.
 */
import { join } from 'node:path';
import {
  type LoadReport,
  loadStateDict,
  loadWeightsFile,
  mapStateDict,
  type StateDict,
  type Tokenizer,
} from '@pir/encoders';
import { listModels, loadModelStateDict, modelStateDict } from '@pir/models';
import { loadModel } from '@pir/models/node';
import type { BestRecord, RecipeChanges, RetrievalSummary, TrainableModel, TrainingData } from '@pir/train';
import { type ProgressMode, runTraining } from '@pir/train/node';
import { ExampleError } from './data.js';

/** The sizes of the catalogue: `test` (CI), `tiny` (CPU minutes), `base`, `paper` (ViT-B/32, 224 px). */
export type ClipSize = 'test' | 'tiny' | 'base' | 'paper';

/** Options of {@link trainTwoStages}. */
export interface TwoStageOptions {
  size: ClipSize;
  data: TrainingData;
  /** Stage 1 goes to `<runDir>/stage1/`, stage 2 to `<runDir>/stage2/`. */
  runDir: string;
  /** Changes to both stages' recipes (`{ epochs, batchSize }`). */
  recipe?: RecipeChanges;
  seed?: number;
  /** Rows per forward pass (gradient caching: the same gradient as the whole batch on less memory). */
  microBatch?: number;
  /** CLIP weights saved as a state dict (OpenCLIP `.bin` / `.safetensors`) that stage 1 starts from. */
  clip?: string;
  /** The captions' tokenizer (default: the trainer's word vocabulary of the training captions; CLIP BPE for `clip`). */
  tokenizer?: Tokenizer;
  /** Stage 2 trains the instruction ResNet too, BatchNorm in training mode (the released PIR-CLIP training). */
  trainInstruction?: boolean;
  /** Continue the stages from their latest checkpoints where there are some. */
  resume?: boolean;
  progress?: ProgressMode;
  log?: (line: string) => void;
}

/** What a stage gave. */
export interface StageSummary {
  name: string;
  status: 'completed' | 'interrupted';
  best: BestRecord | null;
  val?: RetrievalSummary;
  test?: RetrievalSummary;
  steps: number;
  seconds: number;
  runDir: string;
  modelDir?: string;
}

/** Say what a non-strict load did; refuse when nothing matched. */
function report(r: LoadReport, what: string, log: (line: string) => void): void {
  log(
    `${what}: ${r.loaded.length} tensors loaded` +
      (r.missing.length > 0 ? `, ${r.missing.length} start as initialised` : '') +
      (r.unexpected.length > 0 ? `, ${r.unexpected.length} of the file unused` : '') +
      (r.mismatched.length > 0 ? `, ${r.mismatched.length} of other shapes skipped` : ''),
  );
  if (r.loaded.length === 0)
    throw new ExampleError(`${what}: no tensor matched (name and shape): wrong file or size?`);
}

/**
 * Stage 1's model: the catalogue's `pir-clip-stage1-<size>`, or — for sizes without one (`test`) — `pir-clip-<size>`
 * with the same switches (no belief, no instruction token, λ = 0) as overrides.
 */
export function stage1Model(size: ClipSize): { name: string; overrides?: Record<string, unknown> } {
  const name = `pir-clip-stage1-${size}`;
  if ((listModels() as string[]).includes(name)) return { name };
  return { name: `pir-clip-${size}`, overrides: { noBelief: true, noInstruction: true, lambda: 0 } };
}

async function stage(
  model: { name: string; overrides?: Record<string, unknown> },
  o: TwoStageOptions,
  runDir: string,
  tokenizer: Tokenizer | undefined,
  init: (model: TrainableModel) => Promise<void>,
): Promise<StageSummary> {
  const name = model.name;
  const result = await runTraining({
    model: name as never,
    ...(model.overrides === undefined ? {} : { overrides: model.overrides as never }),
    data: o.data,
    runDir,
    seed: o.seed ?? 0,
    init,
    progress: o.progress ?? 'auto',
    ...(o.recipe === undefined ? {} : { recipe: o.recipe }),
    ...(o.microBatch === undefined ? {} : { microBatch: o.microBatch }),
    ...(tokenizer === undefined ? {} : { tokenizer }),
    ...(o.resume ? { resume: 'auto' as const } : {}),
  });
  try {
    return {
      name:
        model.overrides === undefined
          ? name
          : `${name} (${model.overrides.trainInstruction ? 'instruction trained' : 'stage-1 switches'})`,
      status: result.status,
      best: result.best,
      ...(result.val === undefined ? {} : { val: result.val }),
      ...(result.test === undefined ? {} : { test: result.test }),
      steps: result.steps,
      seconds: result.seconds,
      runDir: result.runDir,
      ...(result.files.model === undefined ? {} : { modelDir: result.files.model }),
    };
  } finally {
    result.dispose();
  }
}

/** Train stage 1, then stage 2 from it (see the module doc). Stage 2 is skipped when stage 1 was interrupted. */
export async function trainTwoStages(
  o: TwoStageOptions,
): Promise<{ stage1: StageSummary; stage2?: StageSummary }> {
  const log = o.log ?? (() => {});
  let clip: StateDict | undefined;
  if (o.clip !== undefined) clip = await loadWeightsFile(o.clip);
  const stage1 = await stage(stage1Model(o.size), o, join(o.runDir, 'stage1'), o.tokenizer, async (model) => {
    if (clip === undefined) return;
    const { vision, text } = model.encoders as unknown as { vision: object; text: object };
    const towers: [object, 'clipVisual' | 'clipText', string][] = [
      [vision, 'clipVisual', 'vision'],
      [text, 'clipText', 'text'],
    ];
    for (const [tower, map, role] of towers)
      report(
        loadStateDict(tower as never, mapStateDict(clip, map), { strict: false }),
        `stage 1 ${role} tower from ${o.clip}`,
        log,
      );
  });
  if (stage1.status !== 'completed' || stage1.modelDir === undefined) return { stage1 };
  // stage 2 starts from stage 1's selected model, and reads captions with its tokenizer
  const from = await loadModel(stage1.modelDir);
  let weights: StateDict;
  let tokenizer: Tokenizer | undefined;
  try {
    weights = await modelStateDict(from.model);
    tokenizer = from.tokenizer;
  } finally {
    from.dispose();
  }
  const stage2 = await stage(
    {
      name: `pir-clip-${o.size}`,
      ...(o.trainInstruction ? { overrides: { trainInstruction: true } } : {}),
    },
    o,
    join(o.runDir, 'stage2'),
    tokenizer,
    async (model) => {
      report(
        loadModelStateDict(model, weights, { strict: false }),
        `stage 2 from stage 1 (${stage1.modelDir})`,
        log,
      );
    },
  );
  return { stage1, stage2 };
}
