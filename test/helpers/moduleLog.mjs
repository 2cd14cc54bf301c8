// Preload (`node --import`) that appends the URL of every module the program loads, ES or CommonJS
// through import, to $VFI_MODULE_LOG: for tests of what a command loads. Hooks run off the main
// thread (node:module register), so they write to a file.
import { register } from 'node:module';

register('./moduleLogHooks.mjs', import.meta.url);
