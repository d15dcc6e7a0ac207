/**
 * The run's log: one JSON object per line (`log.jsonl`), every {@link TrainEvent} with the time, appended
 * synchronously so that a killed process loses at most the line being written. {@link readRunLog} reads it
 * back for the curves, keeping for each step and epoch its last record (a resumed run repeats the steps after
 * its checkpoint; the repeat is what the model went on from).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, StepEvent, TrainEvent } from '../trainer/events.js';

/** A line of the log: an event, the wall-clock time and seconds since the log was opened by this process. */
export type LogRecord = TrainEvent & { time: string };

/** Appends events to a JSONL file. */
export interface RunLog {
  readonly file: string;
  write(event: TrainEvent): void;
}

/**
 * Open (create or append to) a JSONL log.
 * @example
 * ```ts
 * const log = runLog('runs/a/log.jsonl');
 * await train({ …, onEvent: (e) => log.write(e) });
 * ```
 */
export function runLog(file: string): RunLog {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return {
    file,
    write(event) {
      appendFileSync(file, `${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
    },
  };
}

/** What {@link readRunLog} returns. */
export interface RunHistory {
  /** The last record of each optimiser step, by step. */
  steps: StepEvent[];
  /** The last record of each epoch, by epoch. */
  epochs: EpochRecord[];
  /** Every record, in file order (a torn last line is skipped). */
  records: LogRecord[];
}

/** Read a JSONL log (a line cut by a crash is skipped). */
export function readRunLog(file: string): RunHistory {
  const records: LogRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      // a line cut by a crash
    }
  }
  return historyOf(records);
}

/** Steps and epochs of a list of events (the last record of each wins). */
export function historyOf(records: readonly (TrainEvent | LogRecord)[]): RunHistory {
  const steps = new Map<number, StepEvent>();
  const epochs = new Map<number, EpochRecord>();
  for (const r of records) {
    if (r.type === 'step') steps.set(r.step, r);
    else if (r.type === 'epoch') epochs.set(r.record.epoch, r.record);
    else if (r.type === 'start') {
      // a resumed run redoes what came after its checkpoint: drop the records it will write again
      for (const s of [...steps.keys()]) if (s > r.startStep) steps.delete(s);
      for (const [e, rec] of [...epochs]) if (rec.step > r.startStep) epochs.delete(e);
    }
  }
  return {
    steps: [...steps.values()].sort((a, b) => a.step - b.step),
    epochs: [...epochs.values()].sort((a, b) => a.epoch - b.epoch),
    records: records as LogRecord[],
  };
}
