import { warmCommand } from './command.ts'

// The process of `npm run warm`; see ./command.ts and `npm run warm -- --help`.

try {
  process.loadEnvFile()
} catch {
  // no .env file: the environment is all there is
}

process.exitCode = await warmCommand(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr })
