// Preloaded by the bench (node -r): report the process's peak resident memory when it exits.
process.on('exit', () => {
  process.stderr.write(`vfi-bench-maxrss-kb=${process.resourceUsage().maxRSS}\n`);
});
