package httpapi

// registerAll calls every domain's route registration, in the order routes are
// listed by GET / and the OpenAPI document. Add one line per domain file
// (each defines func (s *Server) routesX()).
func (s *Server) registerAll() {
	for _, register := range []func(*Server){
		(*Server).routesHealth,
		(*Server).routesPacks,
		(*Server).routesModels,
		(*Server).routesModelsOut,
		(*Server).routesConfig,
		(*Server).routesPolicy,
		(*Server).routesJobs,
		(*Server).routesData,
		(*Server).routesMatrix,
		(*Server).routesMatrixImport,
		(*Server).routesSweep,
		(*Server).routesBacktest,
		(*Server).routesTrain,
		(*Server).routesIndicators,
		(*Server).routesCards,
		(*Server).routesAdminBackup,
		(*Server).routesMetrics,
		(*Server).routesDocs,
		(*Server).routesAudit,
		(*Server).routesAdmin,
		(*Server).routesSignals,
		(*Server).routesUI,
	} {
		register(s)
	}
}
