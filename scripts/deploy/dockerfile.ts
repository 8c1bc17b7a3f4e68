import { DockerfileParser, Env, type Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast'
import { type ValidatorSettings, ValidationSeverity, validate } from 'dockerfile-utils'

// The Dockerfile is checked in two layers, with no Docker engine needed:
// - dockerfile-utils (the validator behind the VS Code Docker language server) for what Docker's parser
//   and builder would reject or warn about: unknown instructions, bad flags and arguments, malformed JSON
//   forms, duplicate CMD/HEALTHCHECK, relative WORKDIR. Every rule that ships ignored is raised to error.
// - the properties this project relies on, read from the same syntax tree (dockerfile-ast).

const ALL_RULES_ON: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
}

// node:24-slim, node:24.x.y-slim, optionally pinned by digest.
const NODE_24_SLIM = /^node:24(\.\d+){0,2}-slim(@sha256:[0-9a-f]{64})?$/

export interface DockerfileReport {
  problems: string[]
  /** build-context paths the final stage copies in: the files the running image is made of */
  runtimeSources: string[]
  /** build-context paths any stage copies in: what .dockerignore must let through */
  contextSources: string[]
  /** the flags node runs with in the image: the final stage's NODE_OPTIONS, then the flags its CMD passes */
  nodeArgs: string[]
}

export function checkDockerfile(content: string): DockerfileReport {
  const problems = validate(content, ALL_RULES_ON).map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`)
  const stages = splitStages(DockerfileParser.parse(content).getInstructions())
  const names = new Set<string>()
  for (const stage of stages) {
    const from = stage[0]!
    const image = from.getArguments()[0]?.getValue() ?? ''
    if (!names.has(image) && !NODE_24_SLIM.test(image)) problems.push(at(from, `every stage must build on node:24-slim (found ${image})`))
    const alias = from.getArguments()[2]?.getValue()
    if (alias) names.add(alias)
    for (const run of stage.filter((i) => i.getKeyword() === 'RUN')) {
      const command = run.getArgumentsContent() ?? ''
      if (/\bnpm (ci|install|i)\b/.test(command) && !/--omit[= ]dev\b/.test(command)) {
        problems.push(at(run, 'npm ci/install must pass --omit=dev: the image carries production dependencies only'))
      }
    }
  }
  if (stages.length < 2) problems.push('Dockerfile: expected a multi-stage build (dependencies installed in a stage of their own)')
  const final = stages.at(-1) ?? []
  const last = (keyword: string) => final.filter((i) => i.getKeyword() === keyword).at(-1)

  const user = last('USER')?.getArguments()[0]?.getValue().split(':')[0]
  if (!user || user === 'root' || user === '0') problems.push('Dockerfile: the final stage must switch to a non-root USER')
  const healthcheck = last('HEALTHCHECK')
  if (!healthcheck || healthcheck.getArguments()[0]?.getValue().toUpperCase() === 'NONE') {
    problems.push('Dockerfile: the final stage must define a HEALTHCHECK')
  }
  const cmd = last('CMD') ?? last('ENTRYPOINT')
  // The shell form runs /bin/sh -c as PID 1, which does not pass SIGTERM on: no graceful drain.
  if (!cmd?.getArgumentsContent()?.trim().startsWith('[')) {
    problems.push('Dockerfile: the final stage must start node with an exec-form (JSON) CMD so it receives SIGTERM')
  }

  return { problems, runtimeSources: contextCopies(final), contextSources: stages.flatMap(contextCopies), nodeArgs: nodeArgs(final, cmd) }
}

function nodeArgs(stage: Instruction[], cmd: Instruction | undefined): string[] {
  const options = stage
    .filter((i): i is Env => i instanceof Env)
    .flatMap((env) => env.getProperties())
    .filter((p) => p.getName() === 'NODE_OPTIONS')
    .at(-1)
    ?.getValue()
  const command = cmd instanceof JSONInstruction ? cmd.getJSONStrings().map((s) => s.getJSONValue()) : []
  return [...(options?.split(/\s+/).filter(Boolean) ?? []), ...command.filter((arg) => arg.startsWith('--'))]
}

function contextCopies(stage: Instruction[]): string[] {
  return stage
    .filter((i) => (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD') && !flagNames(i).includes('from'))
    .flatMap((i) => i.getArguments().map((a) => a.getValue()).slice(0, -1))
}

function splitStages(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = []
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') stages.push([instruction])
    else stages.at(-1)?.push(instruction)
  }
  return stages
}

function flagNames(instruction: Instruction): string[] {
  return instruction instanceof ModifiableInstruction ? instruction.getFlags().map((f) => f.getName()) : []
}

function at(instruction: Instruction, message: string): string {
  return `Dockerfile:${instruction.getRange().start.line + 1}: ${message}`
}
