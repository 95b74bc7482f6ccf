import { SOC_SKILLS } from './contracts.js';

type SkillIds = { readonly [K in keyof typeof SOC_SKILLS]: (typeof SOC_SKILLS)[K]['id'] };

/** Skill ids the SOC agents expose over A2A (declared per agent in vigil.yaml), from their contracts. */
export const SKILLS: SkillIds = Object.freeze(
  Object.fromEntries(Object.entries(SOC_SKILLS).map(([key, contract]) => [key, contract.id])),
) as SkillIds;
