/** Network probes: which of this machine's addresses a port answers on. */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { LOOPBACK_HOST } from '../../local/defaults.ts';

/** This machine's IPv4 addresses that others on the network can reach. */
export function networkAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
    .map((a) => a?.address as string);
}

/** Whether a TCP connection to host:port is accepted. */
export function listening(port: number, host = LOOPBACK_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
