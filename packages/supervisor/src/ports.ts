import { createServer, type Server } from 'node:net';
import { SUPERVISOR_ERROR_CODES, SupervisorError } from './errors.js';

/**
 * Allocates `count` distinct free TCP ports on 127.0.0.1 by binding port 0 and releasing
 * it. All sockets are held until every port is known, so the ports are distinct. Another
 * process could still take a port between release and the agent's bind; the agent then
 * exits with a listen error and is restarted with back-off (documented in docs/runtime.md).
 *
 * @throws SupervisorError `VIGIL_SUPERVISOR_PORTS`
 */
export async function allocateLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (typeof address === 'object' && address !== null) resolve(address.port);
            else reject(new Error('no address'));
          });
        }),
      );
    }
    return ports;
  } catch (cause) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.PORTS,
      'cannot allocate a free loopback port',
      {
        cause,
      },
    );
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
