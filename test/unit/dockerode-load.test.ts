import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDockerode } from '../../src/docker/dockerode.js';

const require = createRequire(import.meta.url);
const loaded = (pattern: RegExp) => Object.keys(require.cache).filter((f) => pattern.test(f));

describe('loadDockerode', () => {
  it('loads dockerode without gRPC, protobufjs or ssh2, and the stand-ins load them when called', async () => {
    const Docker = loadDockerode();
    const docker = new Docker({ protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody' });
    expect(typeof docker.listImages).toBe('function');
    expect(loaded(/node_modules\/(@grpc|protobufjs|ssh2)\//)).toEqual([]);

    // An ssh:// engine goes through docker-modem's ssh agent: the real module, loaded now.
    const err = await docker.listImages().then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(loaded(/node_modules\/ssh2\//).length).toBeGreaterThan(0);
    expect(loaded(/node_modules\/@grpc\//)).toEqual([]);
  });
});
