/**
 * `npm run dev` stopping as asked, and telling why when it must: Ctrl-C with sockets open lets every
 * `$disconnect` finish against DynamoDB Local (Java ignores the terminal's SIGINT: dev stops it last),
 * a DynamoDB Local that dies after "Ready" stops dev with exit code 1 and says so, and a taken port is
 * refused before Java starts, naming the options that change it. The temporary media folder goes
 * with it, however early it stops, and a SIGHUP stops it as gracefully as a SIGTERM. A hung DynamoDB
 * Local does not hold a SIGTERM for ever, and a second dev on the same --persist folder is refused.
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LOOPBACK_HOST } from '../../local/defaults.ts';
import { eventually } from '../support/client.ts';
import { cleanEnv } from '../support/dev-process.ts';
import { alive, DevProcess, ping, ready } from '../support/dev-run.ts';

const started: DevProcess[] = [];
const javaPids: number[] = [];
const tempDirs: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const dev of started) {
    if (dev.child.exitCode !== null || dev.child.signalCode !== null) continue;
    for (const d of dev.descendants()) javaPids.push(d.pid);
    dev.child.kill('SIGKILL');
  }
  for (const pid of javaPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  for (const server of servers) server.close();
}, 60_000);

// PORT=0: the gateway takes a free port as it binds (a port picked here could be taken by another
// process before dev binds it, seconds later, after DynamoDB Local; dev would refuse it).
function startDev(args: string[], env: Record<string, string>, options: { viaNpm?: boolean } = {}) {
  const dev = new DevProcess(args, cleanEnv(env), options);
  started.push(dev);
  return dev;
}

/** Opens a socket with the token of the ready line, and waits for its pong. */
async function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ action: 'ping', requestId: 'stop-1' })));
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

describe('npm run dev stops', () => {
  it('on Ctrl-C with sockets open: every $disconnect deletes its connection (DynamoDB Local stops last); a second dev on its --persist folder is refused first', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-dev-stops-'));
    tempDirs.push(dataDir);
    const stateFile = join(dataDir, 'dev-state.json');
    const dev = startDev(
      ['--persist', dataDir],
      { PORT: '0', SEED: '0', DEV_STATE_FILE: stateFile },
      { viaNpm: true },
    );
    const info = await ready(dev);
    javaPids.push(info.javaPid, ...info.childPids);

    // A second dev on the same --persist folder is refused, naming the folder and the first dev's
    // process (npm's child: `exec node` in package.json), and leaves the first one running. (Checked
    // on this dev rather than on one of its own: a start of dev is most of this file's time.)
    const devNode = dev.children().find((c) => c.args.includes('local/dev.ts'));
    expect(devNode, JSON.stringify(dev.children())).toBeDefined();
    const second = startDev(['--persist', dataDir], {
      PORT: '0',
      SEED: '0',
      DEV_STATE_FILE: stateFile,
    });
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.stderr).toContain(`${dataDir} is in use by another \`npm run dev\` (pid ${devNode?.pid})`);
    // The first one's state file is still there, and it still answers.
    expect(existsSync(stateFile)).toBe(true);
    expect(await ping(info.wscatUrl)).toMatchObject({ type: 'pong' });

    const sockets = await Promise.all(Array.from({ length: 5 }, () => openSocket(info.wscatUrl)));
    const closed = sockets.map((s) => new Promise((r) => s.once('close', r)));

    dev.signalGroup('SIGINT');
    expect(await dev.exited, dev.stderr).toEqual({ code: 0, signal: null });
    await Promise.all(closed);
    const output = `${dev.lines.join('\n')}\n${dev.stderr}`;
    expect(output).toContain('SIGINT: stopping');
    expect(output).not.toContain('could not delete the connection');
    expect(output).not.toMatch(/ECONNRESET|ECONNREFUSED/);
    // The stop gave the folder back.
    expect(existsSync(join(dataDir, '.dev.lock'))).toBe(false);
    await eventually(() => !alive(info.javaPid), 10_000);
  }, 180_000);

  it('when DynamoDB Local dies after Ready: says so, with its exit, and exits with code 1', async () => {
    const dev = startDev([], { PORT: '0', SEED: '0' });
    const info = await ready(dev);
    javaPids.push(info.javaPid, ...info.childPids);

    process.kill(info.javaPid, 'SIGKILL');
    expect(await dev.exited).toEqual({ code: 1, signal: null });
    expect(dev.stderr).toContain('DynamoDB Local exited (signal SIGKILL)');
  }, 180_000);
});

describe('npm run dev with DynamoDB Local hung', () => {
  it('still stops on one SIGTERM (a deadline, then exit code 1), leaving no Java process', async () => {
    // The deadline shortened from 10 s (DEV_STOP_DEADLINE_MS): the stop is as hung either way.
    const dev = startDev([], { PORT: '0', SEED: '0', DEV_STOP_DEADLINE_MS: '2000' });
    const info = await ready(dev);
    javaPids.push(info.javaPid, ...info.childPids);
    // Open sockets: the stop's $disconnects wait on DynamoDB Local too.
    const sockets = await Promise.all([openSocket(info.wscatUrl), openSocket(info.wscatUrl)]);
    process.kill(info.javaPid, 'SIGSTOP');
    try {
      dev.child.kill('SIGTERM');
      const exit = await dev.exited;
      expect(exit.signal).toBeNull();
      // Within the deadline it may still finish (the stream poller's requests time out): code 0.
      if (exit.code !== 0) {
        expect(exit.code).toBe(1);
        expect(dev.stderr).toMatch(/Could not stop within 2 s: exiting now/);
      }
      await eventually(() => !alive(info.javaPid), 10_000);
    } finally {
      if (alive(info.javaPid)) process.kill(info.javaPid, 'SIGCONT');
      for (const socket of sockets) socket.terminate();
    }
  }, 120_000);
});

describe('npm run dev leaves no temporary media folder', () => {
  const mediaFolders = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('chat-s3-'));

  it('when stopped during start-up (SIGTERM), and on a SIGHUP (the terminal closed) after Ready', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'chat-dev-tmp-'));
    tempDirs.push(tmp);
    const early = startDev([], { PORT: '0', SEED: '0', TMPDIR: tmp });
    await eventually(() => mediaFolders(tmp).length > 0 || early.child.exitCode !== null, 60_000);
    for (const d of early.descendants()) javaPids.push(d.pid);
    early.child.kill('SIGTERM');
    expect(await early.exited).toEqual({ code: 0, signal: null });
    expect(mediaFolders(tmp)).toEqual([]);

    const dev = startDev([], { PORT: '0', SEED: '0', TMPDIR: tmp });
    const info = await ready(dev);
    javaPids.push(info.javaPid, ...info.childPids);
    expect(mediaFolders(tmp)).toHaveLength(1);
    dev.child.kill('SIGHUP');
    expect(await dev.exited, dev.stderr).toEqual({ code: 0, signal: null });
    expect(dev.lines.join('\n')).toContain('SIGHUP: stopping');
    expect(mediaFolders(tmp)).toEqual([]);
    await eventually(() => !alive(info.javaPid), 10_000);
  }, 240_000);
});

describe('npm run dev refuses', () => {
  it('a taken port before starting Java, naming --port and PORT', async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, LOOPBACK_HOST, resolve));
    const { port } = taken.address() as { port: number };

    const dev = startDev([], { PORT: String(port), SEED: '0' });
    expect(await dev.exited).toEqual({ code: 1, signal: null });
    expect(dev.stderr).toContain(`port ${port} is in use`);
    expect(dev.stderr).toMatch(/npm run dev -- --port \d+/);
    expect(dev.stderr).toMatch(/PORT=\d+/);
    expect(dev.lines.join('\n')).not.toContain('Ready:');
    // Java was never started: the refusal comes first.
    expect(dev.stderr).not.toContain('Could not start the local stack');
  }, 120_000);
});
