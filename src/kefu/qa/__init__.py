"""Quality inspection (质检): scorecard templates, evaluations of recorded calls, agents'
acknowledgements and disputes, summaries and training examples."""
