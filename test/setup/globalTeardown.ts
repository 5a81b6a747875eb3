import { promises as fs } from 'node:fs';
import { getTestServerState, setTestServerState } from './shared';

/** Stops the embedded Postgres started by global setup and removes its folder. */
export default async function globalTeardown(): Promise<void> {
  const state = getTestServerState();
  if (!state) return;
  setTestServerState(undefined);
  try {
    await state.stop();
  } finally {
    await fs.rm(state.folder, { recursive: true, force: true });
  }
}
