/** Skill ids the SOC agents expose over A2A (declared per agent in vigil.yaml). */
export const SKILLS = Object.freeze({
  ingestEvents: 'ingest-events',
  handleFinding: 'handle-finding',
  resumeIncident: 'resume-incident',
  analyseFinding: 'analyse-finding',
  proposeActions: 'propose-actions',
  executeAction: 'execute-action',
  undoAction: 'undo-action',
  reviewAction: 'review-action',
  notify: 'notify',
} as const);
