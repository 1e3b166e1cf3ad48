// The environment a long-running service process starts with. glibc's malloc raises its mmap threshold
// each time a large block is freed (up to 32 MB), so after the first few frees the model weights and
// decode buffers (1–10 MB each) come from the heap, and memory freed there stays resident: optimising a
// base pack's graphs on first use left ~600 MB of freed memory in the process, and indexing eight
// 13000×13000 PNGs then peaked at 1,827 MiB instead of 1,241 (bench/measure/decode-rss.ts). A fixed
// threshold keeps blocks of 1 MiB and more in their own mappings, returned to the system when freed.
// glibc reads the tunable only at process start, hence an environment variable for the child processes
// that run the service (the desktop app's service host; the CLI's long-running commands). Other C
// libraries (macOS, Windows, musl) ignore it.

export const MALLOC_TUNABLE = 'glibc.malloc.mmap_threshold=1048576';

/** The CLI commands that may index or hold a model for long: they run with the tunable. */
export const LONG_RUNNING_COMMANDS: readonly string[] = ['serve', 'index', 'folders', 'samples', 'model', 'doctor'];

/** `env` with MALLOC_TUNABLE added to GLIBC_TUNABLES on Linux (kept as it is elsewhere, or when set already). */
export function withMemoryTunables(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  if (!needsMemoryTunables(env, platform)) return env;
  const have = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: have ? `${have}:${MALLOC_TUNABLE}` : MALLOC_TUNABLE };
}

/** Whether a process started with `env` would lack the tunable (Linux only; a user's own mmap_threshold wins). */
export function needsMemoryTunables(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && !/glibc\.malloc\.mmap_threshold=/.test(env.GLIBC_TUNABLES ?? '');
}

/** Whether the CLI should restart itself with the tunable for these arguments (global flags skipped). */
export function cliNeedsRestart(argv: readonly string[], env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && LONG_RUNNING_COMMANDS.includes(command) && needsMemoryTunables(env, platform);
}
