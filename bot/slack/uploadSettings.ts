import { UPLOAD_MAX_BYTES } from '../../sheets';

/** Limits for workbooks sent to the bot (the app's `uploads` setting; these are the defaults). */
export interface UploadSettings {
  /** Largest file downloaded (checked against Slack's stated size first, then while reading). */
  maxBytes: number;
  /** How long a checked file waits for Confirm. */
  ttlMs: number;
  /** Longest a download may take. */
  downloadTimeoutMs: number;
}

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  maxBytes: UPLOAD_MAX_BYTES,
  ttlMs: 24 * 60 * 60 * 1000,
  downloadTimeoutMs: 60_000,
};

export function uploadSettings(deps: { uploads?: Partial<UploadSettings> }): UploadSettings {
  return { ...DEFAULT_UPLOAD_SETTINGS, ...deps.uploads };
}
