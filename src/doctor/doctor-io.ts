import { CorefileSyntaxError, DoctorError } from './doctor-errors.ts';
import { type Finding, hasProblems } from './findings.ts';
import { readStream, type TextInput } from './input/read-input.ts';
import { createTextStyle, type TextStyle, wantsColour } from './render/text-style.ts';

/** The process around a doctor run, passed in so tests can run it in-process. */
export interface DoctorIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const exitCodes = { clean: 0, findings: 1, couldNotRun: 2 } as const;

export function processIo(): DoctorIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

export function readStdin(io: DoctorIo): () => Promise<TextInput> {
  return () => readStream(io.stdin, '<stdin>');
}

export function styleFor(io: DoctorIo): TextStyle {
  return createTextStyle(wantsColour(io.stdout.isTTY, io.env));
}

/** Runs a doctor command: prints the report (text or JSON) and returns the exit code. */
export async function runReporting<R extends { findings: Finding[] }>(
  io: DoctorIo,
  json: boolean,
  run: () => Promise<R>,
  renderText: (report: R, style: TextStyle) => string,
): Promise<number> {
  let report: R;
  try {
    report = await run();
  } catch (error) {
    return reportFailure(io, json, error);
  }
  const exitCode = hasProblems(report.findings) ? exitCodes.findings : exitCodes.clean;
  if (json) io.stdout.write(`${JSON.stringify({ ...report, exitCode }, null, 2)}\n`);
  else io.stdout.write(renderText(report, styleFor(io)));
  return exitCode;
}

/** Could not run: bad input or usage. Anything that is not a DoctorError is a bug, said as such. */
export function reportFailure(io: DoctorIo, json: boolean, error: unknown): number {
  const known = error instanceof DoctorError;
  const body: Record<string, unknown> = known
    ? { code: error.code, message: error.message }
    : {
        code: 'BALLAST_DOCTOR_INTERNAL',
        message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
      };
  if (error instanceof CorefileSyntaxError) {
    Object.assign(body, { file: error.file, line: error.line, column: error.column });
  }
  if (json)
    io.stdout.write(
      `${JSON.stringify({ error: body, exitCode: exitCodes.couldNotRun }, null, 2)}\n`,
    );
  io.stderr.write(`ballast: ${String(body.code)}: ${String(body.message)}\n`);
  if (!known && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return exitCodes.couldNotRun;
}
