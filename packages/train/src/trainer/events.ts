/**
 * What the trainer reports while it runs ({@link TrainEvent}, to `onEvent`) and what it records per epoch —
 * plain data, written as one JSON line each by `@pir/train/node`'s log.
 */
import type { RetrievalReport } from '@pir/metrics';

/** The numbers of a retrieval report that a log keeps (percentages). */
export interface RetrievalSummary {
  /** Mean of the six recalls. */
  mR: number;
  /** Sum of the six recalls. */
  rsum: number;
  /** Image → text R@K by K. */
  i2t: Record<number, number>;
  /** Text → image R@K by K. */
  t2i: Record<number, number>;
  nImages: number;
  nTexts: number;
}

/** The summary of a `@pir/metrics` report. */
export function summarizeReport(report: RetrievalReport): RetrievalSummary {
  return {
    mR: report.mR,
    rsum: report.rsum,
    i2t: { ...report.i2t.recall },
    t2i: { ...report.t2i.recall },
    nImages: report.nImages,
    nTexts: report.nTexts,
  };
}

/** Tensor memory of the backend (`tf.memory()`), and what a `memoryProbe` adds (Node: process RSS). */
export interface MemoryRecord {
  /** Live tensors after the step. */
  numTensors: number;
  /** Bytes of live tensors after the step. */
  numBytes: number;
  /** High-water mark of `numBytes` since the run (or this process) started — inside steps included. */
  peakBytes: number;
  /** More figures from `memoryProbe` (e.g. `rssBytes`, `peakRssBytes`). */
  [key: string]: number;
}

/** One optimiser step. */
export interface StepEvent {
  type: 'step';
  /** 0-based epoch. */
  epoch: number;
  /** Steps done in this epoch (1 … stepsPerEpoch). */
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Optimiser steps done in the run (1 … totalSteps). */
  step: number;
  totalSteps: number;
  /** The loss and its parts on this batch (before the update): `loss`, `contrastive`, `affiliation`. */
  losses: Record<string, number>;
  /** Global gradient 2-norm before clipping. */
  gradNorm: number;
  /** Learning rate of each parameter group at this step. */
  lr: Record<string, number>;
  /** Rows (captions) in the batch. */
  samples: number;
  /** Wall time of the step, loading wait included. */
  seconds: number;
  samplesPerSecond: number;
  memory: MemoryRecord;
}

/** What was measured at the end of an epoch. */
export interface EpochRecord {
  /** 0-based epoch. */
  epoch: number;
  /** Optimiser steps done at its end. */
  step: number;
  /** Mean of each loss part over the epoch's steps. */
  losses: Record<string, number>;
  /** Mean gradient norm. */
  gradNorm: number;
  /** Learning rates at the epoch's last step. */
  lr: Record<string, number>;
  /** Training wall time of the epoch (evaluation excluded). */
  seconds: number;
  samplesPerSecond: number;
  /** Retrieval on the validation split, when there is one. */
  val?: RetrievalSummary;
  /** Retrieval on the test split, when the recipe selects on it (`selectOn: 'test'`). */
  test?: RetrievalSummary;
  /** mR of the selection split (`selectOn`). */
  selectionMR?: number;
  /** Whether this epoch became the best so far. */
  best: boolean;
}

/** The selected checkpoint: the epoch with the best mR on the recipe's `selectOn` split. */
export interface BestRecord {
  epoch: number;
  step: number;
  /** `'val'` (the project's rule) or `'test'` (the released code's). */
  selectOn: 'val' | 'test';
  /** Its mR on the selection split. */
  mR: number;
  /** The checkpoint's name in the store. */
  checkpoint: string;
}

/** Everything the trainer reports, in order: `start`, then `step`s, `eval`s, `epoch`s, `checkpoint`s, `end`. */
export type TrainEvent =
  | {
      type: 'start';
      /** The configuration's name and architecture. */
      model: string;
      architecture: string;
      epochs: number;
      batchSize: number;
      stepsPerEpoch: number;
      totalSteps: number;
      /** Optimiser steps already done (resumed), else 0. */
      startStep: number;
      /** The checkpoint resumed from. */
      resumedFrom?: string;
      /** Rows per forward pass (gradient caching below `batchSize`). */
      microBatch: number;
      trainImages: number;
      trainCaptions: number;
      /** Trainable parameters. */
      parameters: number;
      seed: number;
    }
  | StepEvent
  | {
      type: 'eval';
      split: 'val' | 'test';
      /** The epoch evaluated (0-based): the one just trained, or the selected one (`selected`). */
      epoch: number;
      summary: RetrievalSummary;
      seconds: number;
      /** True for the final evaluation at the selected checkpoint. */
      selected?: boolean;
    }
  | { type: 'epoch'; record: EpochRecord; epochs: number }
  | {
      type: 'checkpoint';
      name: string;
      tags: string[];
      step: number;
      epoch: number;
      seconds: number;
      reason: string;
    }
  | {
      type: 'end';
      status: 'completed' | 'interrupted';
      steps: number;
      seconds: number;
      best: BestRecord | null;
      /** Validation retrieval at the selected checkpoint. */
      val?: RetrievalSummary;
      /** Test retrieval at the selected checkpoint (PIR_SPEC §5: reported there, never selected on). */
      test?: RetrievalSummary;
      peakBytes: number;
    };
