/**
 * Every user-facing text of the integration module, in one place. The `cpanel` texts are
 * cPanel's exact English messages (integration-links.md §4, §5, §7) with their curly quotes;
 * the others are the library's own (for its improvements over cPanel).
 */
import { shownIgnoredValue } from '../io/secret-keys.js';

export const MSG = {
  missingParam: (p: string) => `Provide the “${p}” parameter.`,
  emptyParam: (p: string) => `The value of “${p}” may not be empty.`,
  noSuchUser: (u: string) => `You do not have a user named “${u}”.`,
  appGroupPrefix: 'The “app” argument cannot begin with “group_”.',
  groupIdGroupPrefix: 'The “group_id” argument cannot begin with “group_”.',
  notAReference: (k: string, refText: string) => `“${k}” (${refText}) must not be a reference!`,
  /** 11.120.0.16's template reads “(apos())”; open question 13. */
  labelQuote: "The parameter “label” may not contain single-quote characters (').",
  urlRequired: 'You must supply one of the following parameters: autologin_token_url, url',
  emptyValue: 'This value may not be empty.',
  notBoolean: (v: string) => `“${v}” is not a valid Boolean. It must be one of: 0 or 1.`,
  notBase64: '“base64_png_image” is not valid Base64.',
  notPng: '“base64_png_image” is not a valid PNG image.',
  invalidAsset: (name: string, attr: string, value: string) =>
    `The configuration entry with “name” of “${name}” has an invalid value for “${attr}”: “${value}”.`,
  // cPanel's text shows the value; a secret's (a token in a group's data) is masked.
  ignoringKey: (k: string, v: string, secretParams: readonly string[]) => `Ignoring unrecognized data key “${k}” (${shownIgnoredValue(k, v, secretParams)})!`,
  cannotOpen: (p: string) => `Cannot open “${p}”: No such file or directory`,
  emptyFile: (p: string) => `“${p}” is empty.`,
  unrecognizedFile: (name: string) => `The system has skipped the unrecognized file “${name}”.`,
  // The library's own texts.
  noSuchLink: (u: string, app: string) => `The user “${u}” has no integration link named “${app}” (no “${app}.userconfig”); create the link first.`,
  noSuchAdminConfig: (u: string, app: string) => `The integration link “${app}” of the user “${u}” has no admin configuration file.`,
  notAString: (k: string) => `The value of “${k}” must be a string.`,
  themeInvalid: (u: string, why: string) => `The theme (RS) of the user “${u}” is not usable: ${why}`,
  notAnObject: (file: string) => `“${file}” does not hold a JSON object.`,
  numberConverted: (file: string, k: string) => `“${file}”: the value of “${k}” was a number and was converted to a string.`,
  nullDropped: (file: string, k: string) => `“${file}”: the key “${k}” had a null value and was dropped.`,
  falsyTokenDropped: (file: string) => `“${file}”: the token is empty or “0” and was dropped (the link is restored without a token).`,
  badAdminConfig: (file: string, why: string) => `“${file}” could not be used and the link is restored without a token: ${why}`,
  restoreFailed: (name: string, why: string) => `The system could not restore “${name}”: ${why}`,
  renameTargetBusy: (dir: string) => `The directory “${dir}” already exists and is not empty; refusing to merge two users' integration links.`,
  renameTargetNotDir: (p: string, what: string) => `“${p}” already exists and is ${what}, not a directory; move it away, then rename the account again.`,
  unreadableUserconfig: (file: string, why: string) => `“${file}” could not be read, so its DynamicUI file was not rebuilt: ${why}`,
} as const;
