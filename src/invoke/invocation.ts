/** What one invocation gave, wherever it ran. */
export interface Invocation {
  /** Lambda's StatusCode for the Invoke call (200 for a synchronous call that ran). */
  statusCode: number;
  /** Set when the function failed: its error type. */
  functionError?: string;
  payload: unknown;
  logTail: string;
  where: 'local' | 'lambda';
  requestId: string;
}
