/** A progress bar on stderr for long work, only when stderr is a terminal (SPEC §3). */
import type { Context } from './context.js';

export interface Progress {
  tick(done: number, label?: string): void;
  stop(): void;
}

const silent: Progress = { tick() {}, stop() {} };

/** cli-progress is loaded only when a bar will really be drawn. */
export async function progressBar(ctx: Context, title: string, total: number): Promise<Progress> {
  if (!ctx.progressAllowed || total < 2) return silent;
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar(
    { format: `${title} [{bar}] {value}/{total} {label}`, stream: ctx.errStream, hideCursor: true, clearOnComplete: true, barsize: 30 },
    Presets.legacy,
  );
  bar.start(total, 0, { label: '' });
  return {
    tick: (done, label = '') => bar.update(done, { label }),
    stop: () => bar.stop(),
  };
}
