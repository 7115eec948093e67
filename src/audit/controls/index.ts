/** The control catalogue: data, one pure check each. Reports and docs are made from it. */
import type { Control } from '../types.js';
import { accessControls } from './access.js';
import { apiControls } from './api.js';
import { dataControls } from './data.js';
import { iamControls } from './iam.js';
import { kmsControls } from './kms.js';
import { lambdaControls } from './lambda.js';
import { s3Controls } from './s3.js';
import { scheduleControls } from './schedule.js';
import { stackControls } from './stack.js';

export const CONTROLS: readonly Control[] = [...kmsControls, ...s3Controls, ...iamControls, ...lambdaControls, ...dataControls, ...apiControls, ...scheduleControls, ...accessControls, ...stackControls];
