/**
 * dockerode, loaded without the parts vfi never runs. At require time dockerode loads BuildKit's
 * gRPC session code (@grpc/grpc-js, protobufjs: only `buildImage` uses it) and docker-modem loads
 * ssh2 (only an `ssh://` DOCKER_HOST uses it): measured here, 115 ms of CPU on every `vfi resolve`
 * and `vfi verify`, more than the rest of the command's start-up. Each of those two modules is
 * replaced by a stand-in that loads the real one the first time it is called, so nothing changes
 * for the code that does use them.
 */
import { createRequire, Module } from 'node:module';
import type DockerodeClass from 'dockerode';

const require = createRequire(import.meta.url);

/** The dockerode constructor. */
export function loadDockerode(): typeof DockerodeClass {
  const dockerodeRequire = createRequire(require.resolve('dockerode'));
  const modemRequire = createRequire(dockerodeRequire.resolve('docker-modem'));
  deferModule(dockerodeRequire.resolve('./session.js'));
  deferModule(modemRequire.resolve('./ssh.js'));
  return require('dockerode') as typeof DockerodeClass;
}

/** Put a stand-in for the function module `file` exports into the require cache, unless it is loaded. */
function deferModule(file: string): void {
  if (require.cache[file]) return;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function loadOnFirstCall(this: unknown, ...args: unknown[]): unknown {
    if (require.cache[file] === standIn) delete require.cache[file];
    const real = require(file) as (...a: unknown[]) => unknown;
    return real.apply(this, args);
  };
  require.cache[file] = standIn;
}
