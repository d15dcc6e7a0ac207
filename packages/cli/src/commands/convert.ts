/**
 * `pir convert`: between the authors' PyTorch checkpoints and `@pir/models`' model directories.
 *
 * - `pir convert released.pth out-dir` — a released PIR-ITR (`torch.save({'model': …, 'config': …})`) or
 *   PIR-CLIP (OpenCLIP fork) checkpoint, `.pth`/`.pt`/`.bin`/`.safetensors`: loaded strictly (every missing,
 *   unexpected or mis-shaped key reported at once), written as a model directory (`pir-model.json`,
 *   `model.safetensors`, `tokenizer.json`) that `pir eval` and `loadModel` read.
 * - `pir convert model-dir out.safetensors` — a model directory's weights under the released PyTorch names
 *   (`--names released`, the default for PIR-ITR and PIR-CLIP: loads into the authors' code with
 *   `model.load_state_dict`) or under the model directory's own prefixes (`--names pir`), for moving training
 *   to PyTorch. Written atomically (a temporary file, then renamed).
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadBertTokenizer, loadClipTokenizer, type Tokenizer } from '@pir/encoders';
import { mapStateDict, readCheckpoint, readWeights, writeSafetensors } from '@pir/encoders/weights';
import { loadReleasedPirClip, loadReleasedPirItr, MODEL_FILES, releasedModelConfig } from '@pir/models';
import { loadModel, saveModel } from '@pir/models/node';
import { PirError } from '@pir/runtime/errors';

/** Options of {@link convert}. */
export interface ConvertOptions {
  /** A released checkpoint's kind; default: read off its keys (`conv_encoder.` → PIR-ITR, `visual.` → PIR-CLIP). */
  kind?: 'pir-itr' | 'pir-clip';
  /** Save the model without a tokenizer (default: BERT WordPiece for PIR-ITR, CLIP BPE for PIR-CLIP). */
  noTokenizer?: boolean;
  /** Released PIR-ITR: BERT heads when the width is not a multiple of 64. */
  textHeads?: number;
  /** Released PIR-CLIP: OpenCLIP's head width (64). */
  headWidth?: number;
  /** Exporting: `'released'` (the authors' names; default for PIR-ITR / PIR-CLIP) or `'pir'` (ours). */
  names?: 'released' | 'pir';
  /** Called with one line per step. */
  log?: (line: string) => void;
}

/** What {@link convert} did. */
export interface ConvertResult {
  direction: 'import' | 'export';
  output: string;
  /** Tensors written. */
  tensors: number;
  /** `pir-itr` / `pir-clip` / the model directory's architecture. */
  kind: string;
}

async function isModelDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && (await stat(join(path, MODEL_FILES.manifest))).isFile();
  } catch {
    return false;
  }
}

function kindOf(keys: readonly string[], file: string): 'pir-itr' | 'pir-clip' {
  const k = keys.map((x) => x.replace(/^module\./, ''));
  if (k.some((x) => x.startsWith('conv_encoder.') || x.startsWith('vision_encoder.'))) return 'pir-itr';
  if (k.some((x) => x.startsWith('res_visual.') || x.startsWith('visual.'))) return 'pir-clip';
  throw new PirError(
    'pir convert',
    'input',
    `${file}: neither a released PIR-ITR checkpoint (conv_encoder.*, vision_encoder.*) nor a released PIR-CLIP one (visual.*, res_visual.*); pass --kind if it is one of them`,
  );
}

/** Convert `input` to `output` (see the module doc for the two directions). */
export async function convert(
  input: string,
  output: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const log = options.log ?? (() => {});
  if (await isModelDir(input)) {
    // our model directory → one safetensors file
    const rm_ = await loadModel(input);
    try {
      const arch = rm_.config.architecture;
      const names = options.names ?? (arch === 'pir-itr' || arch === 'pir-clip' ? 'released' : 'pir');
      if (names === 'released' && arch !== 'pir-itr' && arch !== 'pir-clip')
        throw new PirError(
          'pir convert',
          '--names',
          `a ${arch} model has no released names; use --names pir`,
        );
      const own = readWeights(new Uint8Array(await readFile(join(input, MODEL_FILES.weights))), {
        name: join(input, MODEL_FILES.weights),
      });
      const sd =
        names === 'released'
          ? mapStateDict(own, arch === 'pir-itr' ? 'pirItrToReleased' : 'pirClipToReleased')
          : own;
      const bytes = writeSafetensors(sd, { format: 'pt', source: `@pir/models ${basename(input)}`, names });
      const tmp = `${output}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, bytes, { flush: true });
        await rename(tmp, output);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      log(
        `wrote ${output}: ${sd.size} tensors under the ${names === 'released' ? `released ${arch}` : 'model directory'} names`,
      );
      return { direction: 'export', output, tensors: sd.size, kind: arch };
    } finally {
      rm_.model.dispose();
    }
  }
  // a released checkpoint → our model directory
  const bytes = new Uint8Array(await readFile(input));
  const keys = (() => {
    try {
      return [...readCheckpoint(bytes, { name: input }).stateDict.keys()];
    } catch {
      return [...readWeights(bytes, { name: input }).keys()]; // a safetensors file
    }
  })();
  const kind = options.kind ?? kindOf(keys, input);
  log(`${input}: a released ${kind} checkpoint, ${keys.length} tensors`);
  let tokenizer: Tokenizer | undefined;
  if (!options.noTokenizer)
    tokenizer =
      kind === 'pir-itr' ? await loadBertTokenizer({ contextLength: 47 }) : await loadClipTokenizer();
  const common = { name: input, ...(tokenizer === undefined ? {} : { tokenizer }) };
  const model =
    kind === 'pir-itr'
      ? await loadReleasedPirItr(bytes, {
          ...common,
          ...(options.textHeads === undefined ? {} : { textHeads: options.textHeads }),
        })
      : await loadReleasedPirClip(bytes, {
          ...common,
          ...(options.headWidth === undefined ? {} : { headWidth: options.headWidth }),
        });
  try {
    const manifest = await saveModel(model as never, output, {
      config: releasedModelConfig(model),
      tokenizer: tokenizer ?? null,
    });
    log(`wrote the model directory ${output} (${kind}, config hash ${manifest.configHash})`);
    return { direction: 'import', output, tensors: keys.length, kind };
  } finally {
    model.dispose();
  }
}
