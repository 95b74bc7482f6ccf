/**
 * `@vigil/console`: the analyst's web console, built by Vite to static files
 * (`apps/console/dist`) that the coordinator serves beside its API.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
