"""How a seen frame is counted, one mode per kind of exercise: reps, holds, any movement."""
