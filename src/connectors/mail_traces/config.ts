import { Type, type Static } from '@sinclair/typebox';
import { Strict, StringEnum } from '../../config/types.js';

export const MailTracesConfig = Strict({
  include_incomplete: Type.Boolean({
    default: true,
    description: 'Also trace records emitted incomplete (timed out, evicted); their root span carries mail.record.incomplete_reason.',
  }),
  addresses: StringEnum(['hash_local_part', 'keep', 'domain_only'] as const, {
    default: 'hash_local_part',
    description: 'How recipient and sender addresses appear on spans (DESIGN §3: addresses are personal data).',
  }),
});

export type MailTracesConfig = Static<typeof MailTracesConfig>;
