/** What git itself clears before running a command in another repository (environment.c local_repo_env). */
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_GRAFT_FILE', 'GIT_SHALLOW_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX', 'GIT_NAMESPACE', 'GIT_QUARANTINE_PATH', 'GIT_PROTOCOL'];

/** `env` without the variables that would point git at another repository than the one named. */
export function repositoryFreeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of REPOSITORY_ENV) delete out[k];
  return out;
}
