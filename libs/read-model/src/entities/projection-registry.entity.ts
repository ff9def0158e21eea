import { EntitySchema } from 'typeorm';

export interface ProjectionRegistry {
  name: string;
  activeSchema: string;
  updatedAt: Date;
}

/** Which projection schema serves reads; a rebuild switches it in one update. */
export const ProjectionRegistryEntity = new EntitySchema<ProjectionRegistry>({
  name: 'ProjectionRegistry',
  tableName: 'projection_registry',
  columns: {
    name: { type: 'text', primary: true },
    activeSchema: { type: 'text', name: 'active_schema' },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
