"""The one adapter over docker-py: connects, runs actions, translates docker errors."""
