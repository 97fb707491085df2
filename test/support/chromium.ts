import { type Browser, chromium } from 'playwright-core';
import { peerBinary } from './debian-peers.ts';

/** Debian's Chromium, headless, cut off from everything but what the test opens. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: peerBinary('chromium'),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
