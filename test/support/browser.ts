/**
 * A real browser for tests of pages bridge writes: Debian's Chromium (`apt-get install chromium`,
 * which .ci/run does), driven by playwright-core, headless, with nothing reaching the network.
 * Without the browser a test is skipped on a developer's machine and fails in CI.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.BRIDGE_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser is here; in CI it must be (a missing browser must not pass as a skip). */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for the HTML report's test`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // As root and on a closed network: no sandbox, and none of Chromium's own background requests.
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  return chromium.launch({ executablePath: CHROMIUM, args });
}
