import { describeDbError } from '../db.ts';

/**
 * Runs a command's main function: any error becomes one line on stderr and exit code 1,
 * never a stack trace (set DEBUG=1 to see it).
 */
export function runCommand(main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (error: unknown) => {
      console.error(`error: ${describeDbError(error, process.env.DATABASE_URL)}`);
      if (process.env.DEBUG) console.error(error);
      process.exitCode = 1;
    },
  );
}
