/**
 * Every text the authn module puts in an error. Texts marked "cPanel" are cPanel's exact wording
 * (authn-links.md §7–§8, with curly quotes); the others are the library's own, for checks whose
 * cPanel wording is not in the spec.
 */
export const MSG = {
  /** cPanel (MissingParameter), naming the checking function when known (verified-against-cpanel.md §4). */
  missingParam: (name: string, checker?: string) =>
    checker === undefined ? `Provide the “${name}” parameter.` : `Provide the “${name}” parameter for the “${checker}” function.`,
  /** cPanel (LineTerminatorFree), verified-against-cpanel.md §4. */
  lineFeed: () => 'This value may not contain a line feed.',
  /** cPanel, §7.1 step 1. */
  badProtocol: (p: string) => `The system does not support the “${p}” authentication protocol.`,
  /** cPanel, §7.1 step 2. */
  badProviderName: (p: string) => `The provider name “${p}” is invalid.`,
  /** cPanel, §7.1 step 3. */
  providerNotEnabled: (p: string) => `The provider “${p}” is not enabled for any services with OpenID Connect authentication.`,
  /** cPanel (TooManyBytes), §7.1 step 5: the element quoted is the key or the value that is too large. */
  userInfoTooLarge: (element: string) => `The user_info element “${element}” is larger than the allowed size of 1024.`,
  /** cPanel (UserNotFound), verified-against-cpanel.md §4: system and email users alike. */
  userNotFound: (u: string) => `You do not have a user named “${u}”.`,
  /** cPanel (InvalidParameter), verified-against-cpanel.md §3: an email name that is not a valid address. */
  notValidAccountName: (u: string) => `“${u}” is not a valid account name.`,
  /** cPanel (InvalidParameter), §7.2. */
  subjectNotLinked: () => `The value of the parameter “subject_unique_identifier” is not valid for this user.`,
  /** cPanel, §8.2. */
  badService: () => `Currently, only “cpaneld”, “webmaild”, and “whostmgrd” can use External Authentication.`,
  /** cPanel, §9 (the admin side of add_authn_link). */
  serviceNotValid: (s: string) => `The service “${s}” is not valid.`,
  /** cPanel, §9. */
  appnameWebmail: () => 'The “appname” argument must be set to “webmaild”.',
  /** cPanel, §8.2. */
  providerNotValid: (p: string) => `The requested provider “${p}” is not valid.`,
  /** Library wording (cPanel's InvalidCharacters text is not in the spec). */
  lineTerminators: (param: string) => `The “${param}” value may not contain line terminators (LF, VT, FF, CR, NEL, U+2028, U+2029) or NUL bytes.`,
  /** Library wording. */
  notAString: (param: string) => `The “${param}” parameter must be a string.`,
  /** Library wording. */
  userInfoNotObject: () => `The “user_info” parameter must be an object.`,
  /** Library wording. */
  userInfoKeyInvalid: (key: string, problem: string) => `The user_info element “${key}” is not a valid name: ${problem}`,
  /** Library wording. */
  userInfoValueType: (key: string) => `The user_info element “${key}” must be a string, a number, a boolean or null.`,
  /** Library wording. */
  badLinkTime: () => `The user_info element “link_time” must be a whole number of seconds since the epoch.`,
  /** Library wording: the per-user file name `<user>.db` must be a valid node name. */
  linkUserTooLong: (u: string) => `The name “${u}” is too long to be stored as “${u}.db”.`,
  /** cPanel (`set_client_configuration`), naming the provider by its display name. */
  unknownConfigField: (field: string, displayName: string) =>
    `The configuration key “${field}” is not a valid configuration field for the provider “${displayName}”.`,
  /** cPanel (`set_client_configuration`): a field that is absent or empty. */
  configMissingKey: (field: string) => `The configuration is missing the required parameter key “${field}”.`,
  /** cPanel (`set_client_configuration`): a field that is not a string. */
  configNotString: (field: string) => `The value of “${field}” is not valid. Configuration field values are limited to strings.`,
  /** Library wording (a display value that is not a string). */
  configValueEmpty: (field: string) => `The configuration field “${field}” must be a non-empty string.`,
  /** Library wording (same limit as user_info). */
  configTooLarge: (field: string) => `The configuration element “${field}” is larger than the allowed size of 1024.`,
  /** Library wording. */
  configNotObject: () => `The “configurations” parameter must be a JSON object.`,
  /** Library wording (verified-against-cpanel.md §5: a writer must not silently drop a key). */
  displayDefaultUnknown: (keys: readonly string[], provider: string, module: string) =>
    `The default ${keys.length === 1 ? 'value' : 'values'} of ${keys.map((k) => `“${k}”`).join(', ')} for the provider “${provider}” cannot be determined: ` +
    `its module “${module}.pm” is not installed under the root prefix, or defines ${keys.length === 1 ? 'it' : 'them'} in a form the library cannot read. ` +
    `Writing the display configuration without ${keys.length === 1 ? 'it' : 'them'} would remove ${keys.length === 1 ? 'it' : 'them'} from the login button; ` +
    `install the module or pass ${keys.length === 1 ? 'the value' : 'the values'} in “configurations”.`,
  /** cPanel (`set_display_configuration`), naming the provider by its id. */
  unknownDisplayKey: (provider: string, key: string) =>
    `You can only update display configurations that already exist in the provider module, and the “${provider}” provider does not contain the “${key}” display configuration parameter.`,
  /** cPanel (`set_display_configuration`). */
  badColor: (key: string) =>
    `The display configuration parameter “${key}” requires a hex color code without a Number symbol (#). For example, FF0000 represents red.`,
  /** Library wording. */
  accountRequired: (u: string) => `The system account “${u}” does not exist.`,
  /** Library wording. */
  renameTargetExists: (p: string) => `Cannot rename: “${p}” already exists.`,
  /** Library wording. */
  ownerUnknown: (domain: string) => `No account owns the domain “${domain}”.`,
  /** Library wording. */
  noGroup: (u: string) => `The system user “${u}” has no group to own its link database.`,
} as const;
