/** Where the code runs. Node-only modules are loaded dynamically so that browser bundles never see them. */
export type Environment = 'node' | 'browser';

/** `'node'` under Node.js (also Deno/Bun's Node compatibility), `'browser'` in a page or worker. */
export function detectEnvironment(): Environment {
  const g = globalThis as {
    process?: { versions?: { node?: string } };
    window?: unknown;
    document?: unknown;
  };
  if (g.process?.versions?.node !== undefined && g.window === undefined && g.document === undefined) {
    return 'node';
  }
  return 'browser';
}

/**
 * Dynamic import that bundlers leave alone (the specifier is not a literal), used for optional peers such as
 * `@tensorflow/tfjs-node` that may not be installed and must never be bundled for the browser.
 */
export async function importOptional<T = unknown>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

/** Number of logical cores (Node: `os.availableParallelism`; browser: `navigator.hardwareConcurrency`). */
export async function logicalCores(): Promise<number> {
  if (detectEnvironment() === 'node') {
    const os = await importOptional<typeof import('node:os')>('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}
