/** Stops the suite's dev server. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.ptqDevServer?.stop();
}
