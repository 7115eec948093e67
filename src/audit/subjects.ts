/**
 * What each control is about, as the resource it judges: its kind (the first resource it reads)
 * and its ARN from the stack's names. An ERROR result names it too (a read failed, the subject did
 * not change), and SARIF's logical locations and fingerprints are made from it, so an alert keeps
 * its identity whether the control passes, fails or could not be judged.
 */
import { apiArns, type StackNames } from '../names.js';
import { liveOf } from '../resources/index.js';
import type { AuditSnapshot, Control } from './types.js';

export interface Subject {
  kind: string;
  /** The resource's ARN, or for the stack as a whole "stack S". */
  arn: string;
}

type ArnOf = (n: StackNames, s: AuditSnapshot) => string | null;

const keyArn: ArnOf = (n, s) => s.keyArn ?? n.keyAliasArn;
const restApiArn: ArnOf = (n, s) => {
  const id = liveOf(s.lives, 'rest-api')?.id;
  return id ? apiArns(n, id).restApiArn : null;
};

const ARNS: Record<string, ArnOf> = {
  bucket: (n) => n.bucketArn,
  objects: (n) => n.bucketArn,
  'kms-key': keyArn,
  'kms-grants': keyArn,
  'kms-key-policy': keyArn,
  'execution-role': (n) => n.roleArn,
  operators: (n) => n.operatorGroupArn,
  'operators-policy': (n) => n.operatorGroupArn,
  'source-api-key': (n) => n.parameterArn,
  function: (n) => n.functionArn,
  bundle: (n) => n.functionArn,
  'api-permission': (n) => n.functionArn,
  'function-log-group': (n) => n.functionLogGroupArn,
  'api-log-group': (n) => n.apiLogGroupArn,
  'rest-api': restApiArn,
  api: (n, s) => {
    const id = liveOf(s.lives, 'rest-api')?.id;
    return id ? apiArns(n, id).stageArn : null;
  },
  'api-key': restApiArn,
};

/** The control's subject: the first thing it reads that is a resource, else the stack itself. */
export function subjectOf(control: Pick<Control, 'reads'>, snapshot: AuditSnapshot): Subject {
  const n = snapshot.names;
  for (const kind of control.reads) {
    const arn = ARNS[kind]?.(n, snapshot);
    if (arn) return { kind: kind === 'objects' ? 'bucket' : kind, arn };
  }
  return { kind: 'stack', arn: `stack ${snapshot.stack}` };
}
